import { screen } from '@testing-library/react';

import { Selectors } from '../selectors';
import { pickOption } from '../test/fakes';
import { renderControlled } from '../test/render';
import { ServiceStatsOptions, ServiceStatsSecureJsonData } from '../types';
import { ConfigEditor } from './ConfigEditor';
import { SecretKey, Settings } from './config/settings';

const ids = Selectors.ConfigEditor;

function settings(jsonData: ServiceStatsOptions = {}, secureJsonFields: Settings['secureJsonFields'] = {}): Settings {
  // Without the deprecated (yet required) `database` field.
  return {
    id: 1,
    uid: 'service-stats',
    orgId: 1,
    name: 'Service Stats',
    type: 'opsdeck-servicestats-datasource',
    typeName: 'Service Stats',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    readOnly: false,
    withCredentials: false,
    jsonData,
    secureJsonFields,
  } as Settings;
}

function renderEditor(initial: Settings) {
  const view = renderControlled(ConfigEditor, initial, (options, onOptionsChange) => ({ options, onOptionsChange }));
  return { ...view, jsonData: () => view.last()?.jsonData, secrets: () => view.last()?.secureJsonData };
}

describe('ConfigEditor — OVHcloud', () => {
  it('stores a named endpoint and the application keys', async () => {
    const { user, jsonData, secrets } = renderEditor(settings());

    await pickOption(user, /^Endpoint/, 'ovh-ca');
    await user.type(screen.getByTestId(ids.ovh.applicationKey), 'app-key');
    await user.type(screen.getByTestId(ids.ovh.applicationSecret), 'app-secret');
    await user.type(screen.getByTestId(ids.ovh.consumerKey), 'consumer');

    expect(jsonData()).toEqual({ ovhEndpoint: 'ovh-ca', ovhApplicationKey: 'app-key' });
    expect(secrets()).toEqual({ ovhApplicationSecret: 'app-secret', ovhConsumerKey: 'consumer' });
    expect(screen.queryByTestId(ids.ovh.customUrl)).not.toBeInTheDocument();
  });

  it('reveals a URL input for a custom endpoint and stores the full URL', async () => {
    const { user, jsonData } = renderEditor(settings({ ovhEndpoint: 'ovh-eu' }));

    expect(screen.queryByTestId(ids.ovh.customUrl)).not.toBeInTheDocument();
    await pickOption(user, /^Endpoint/, 'Custom URL');
    expect(jsonData()).toEqual({ ovhEndpoint: '' });

    await user.type(screen.getByTestId(ids.ovh.customUrl), 'http://127.0.0.1:8089/ovh/1.0');
    expect(jsonData()).toEqual({ ovhEndpoint: 'http://127.0.0.1:8089/ovh/1.0' });
  });

  it('shows a saved custom URL in its input', () => {
    renderEditor(settings({ ovhEndpoint: 'https://proxy.example.com/1.0' }));

    expect(screen.getByTestId(ids.ovh.customUrl)).toHaveValue('https://proxy.example.com/1.0');
  });

  it('shows the OAuth2 client fields instead of the keys, with a token URL for a custom endpoint only', async () => {
    const { user, jsonData, secrets } = renderEditor(settings({ ovhEndpoint: 'https://proxy.example.com/1.0' }));

    await user.click(screen.getByLabelText('OAuth2'));
    expect(screen.queryByTestId(ids.ovh.applicationKey)).not.toBeInTheDocument();
    expect(screen.queryByTestId(ids.ovh.consumerKey)).not.toBeInTheDocument();

    await user.type(screen.getByTestId(ids.ovh.clientId), 'client');
    await user.type(screen.getByTestId(ids.ovh.clientSecret), 'secret');
    await user.type(screen.getByTestId(ids.ovh.tokenUrl), 'https://proxy.example.com/token');

    expect(jsonData()).toEqual({
      ovhEndpoint: 'https://proxy.example.com/1.0',
      ovhAuthMethod: 'oauth2',
      ovhClientId: 'client',
      ovhTokenUrl: 'https://proxy.example.com/token',
    });
    expect(secrets()).toEqual({ ovhClientSecret: 'secret' });

    await pickOption(user, /^Endpoint/, 'ovh-us');
    expect(screen.queryByTestId(ids.ovh.tokenUrl)).not.toBeInTheDocument();
    expect(jsonData()).toEqual({ ovhEndpoint: 'ovh-us', ovhAuthMethod: 'oauth2', ovhClientId: 'client' });
  });

  it('offers OAuth2 only where OVHcloud does', () => {
    renderEditor(settings({ ovhEndpoint: 'kimsufi-eu' }));

    expect(screen.getByLabelText('OAuth2')).toBeDisabled();
    expect(screen.getByLabelText('Application keys')).toBeEnabled();
    expect(screen.queryByTestId(ids.ovh.oauth2Warning)).not.toBeInTheDocument();
  });

  it('warns about a provisioned OAuth2 setting on an endpoint without OAuth2', () => {
    renderEditor(settings({ ovhEndpoint: 'soyoustart-ca', ovhAuthMethod: 'oauth2' }));

    expect(screen.getByTestId(ids.ovh.oauth2Warning)).toHaveTextContent('OAuth2 is not available on soyoustart-ca');
  });
});

describe('ConfigEditor — OnApp and Pulse', () => {
  it('stores the OnApp settings', async () => {
    const { user, jsonData, secrets } = renderEditor(settings());

    await user.type(screen.getByTestId(ids.onapp.url), 'https://cp.example.com');
    await user.type(screen.getByTestId(ids.onapp.user), 'grafana@example.com');
    await user.type(screen.getByTestId(ids.onapp.apiKey), 'onapp-key');
    await user.click(screen.getByLabelText('Reports'));
    await user.click(screen.getByLabelText('XML'));
    await user.type(screen.getByTestId(ids.onapp.timeZone), 'Europe/Paris');

    expect(jsonData()).toEqual({
      onappUrl: 'https://cp.example.com',
      onappUser: 'grafana@example.com',
      onappApi: 'reports',
      onappFormat: 'xml',
      onappTimeZone: 'Europe/Paris',
    });
    expect(secrets()).toEqual({ onappApiKey: 'onapp-key' });
  });

  it('shows legacy as the default API flavour', () => {
    renderEditor(settings());

    expect(screen.getByLabelText('Legacy')).toBeChecked();
    expect(screen.getByLabelText('JSON')).toBeChecked();
    expect(screen.getByTestId(ids.onapp.timeZone)).toHaveAttribute('placeholder', 'UTC');
  });

  it('stores the Pulse settings', async () => {
    const { user, jsonData, secrets } = renderEditor(settings());

    await user.type(screen.getByTestId(ids.pulse.url), 'https://pulse.example.com');
    await user.type(screen.getByTestId(ids.pulse.token), 'pulse-token');

    expect(jsonData()).toEqual({ pulseUrl: 'https://pulse.example.com' });
    expect(secrets()).toEqual({ pulseToken: 'pulse-token' });
  });
});

describe('ConfigEditor — secrets', () => {
  it.each<{ secret: SecretKey; jsonData: ServiceStatsOptions }>([
    { secret: 'ovhApplicationSecret', jsonData: {} },
    { secret: 'ovhConsumerKey', jsonData: {} },
    { secret: 'ovhClientSecret', jsonData: { ovhAuthMethod: 'oauth2' } },
    { secret: 'onappApiKey', jsonData: {} },
    { secret: 'pulseToken', jsonData: {} },
  ])('resetting $secret forgets it', async ({ secret, jsonData }) => {
    const { user, last } = renderEditor(settings(jsonData, { [secret]: true }));

    await user.click(screen.getByRole('button', { name: 'Reset' }));

    const expectedSecrets: ServiceStatsSecureJsonData = { [secret]: '' };
    expect(last()?.secureJsonFields).toEqual({ [secret]: false });
    expect(last()?.secureJsonData).toEqual(expectedSecrets);
    expect(last()?.jsonData).toEqual(jsonData);
  });

  it('shows every configured secret as configured', () => {
    renderEditor(
      settings({}, { ovhApplicationSecret: true, ovhConsumerKey: true, onappApiKey: true, pulseToken: true })
    );

    expect(screen.getAllByRole('button', { name: 'Reset' })).toHaveLength(4);
    expect(screen.getByTestId(ids.pulse.token)).toHaveValue('configured');
  });
});

describe('ConfigEditor — advanced', () => {
  it('is collapsed until opened, then stores integers and leaves empty fields unset', async () => {
    const { user, jsonData } = renderEditor(settings());

    expect(screen.queryByTestId(ids.advanced.timeoutSeconds)).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Expand section Advanced' }));

    await user.type(screen.getByTestId(ids.advanced.timeoutSeconds), '45');
    await user.type(screen.getByTestId(ids.advanced.cacheTTLSeconds), '0');
    await user.type(screen.getByTestId(ids.advanced.maxPages), '50');
    await user.type(screen.getByTestId(ids.advanced.ovhRequestsPerMinute), '30');
    expect(jsonData()).toEqual({ timeoutSeconds: 45, cacheTTLSeconds: 0, maxPages: 50, ovhRequestsPerMinute: 30 });

    await user.clear(screen.getByTestId(ids.advanced.maxPages));
    expect(jsonData()).toEqual({ timeoutSeconds: 45, cacheTTLSeconds: 0, ovhRequestsPerMinute: 30 });
  });

  it('is open when a value is set, and ignores what is not a positive integer', async () => {
    const { user, onChange } = renderEditor(settings({ timeoutSeconds: 30 }));

    await user.type(screen.getByTestId(ids.advanced.maxPages), 'x');
    await user.type(screen.getByTestId(ids.advanced.ovhRequestsPerMinute), '0');

    expect(onChange).not.toHaveBeenCalled();
    expect(screen.getByTestId(ids.advanced.maxPages)).toHaveAttribute('aria-invalid', 'true');
  });

  it('stores the share of OVHcloud calls kept for alerting as a decimal, refusing 1 and above', async () => {
    const { user, jsonData } = renderEditor(settings({ ovhRequestsPerMinute: 60 }));
    const share = screen.getByTestId(ids.advanced.ovhAlertingShare);
    expect(share).toHaveAttribute('placeholder', '0.5');

    await user.type(share, '0.25');
    expect(jsonData()).toEqual({ ovhRequestsPerMinute: 60, ovhAlertingShare: 0.25 });

    await user.clear(share);
    await user.type(share, '1');
    expect(share).toHaveAttribute('aria-invalid', 'true');
    expect(jsonData()).toEqual({ ovhRequestsPerMinute: 60 });

    await user.clear(share);
    await user.type(share, '0');
    expect(jsonData()).toEqual({ ovhRequestsPerMinute: 60, ovhAlertingShare: 0 });
  });

  it('is open when only the alerting share is set, and shows it', () => {
    renderEditor(settings({ ovhAlertingShare: 0.3 }));

    expect(screen.getByTestId(ids.advanced.ovhAlertingShare)).toHaveValue('0.3');
  });
});
