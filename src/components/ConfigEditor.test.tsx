import { config } from '@grafana/runtime';
import { screen, within } from '@testing-library/react';

import { Selectors } from '../selectors';
import { pickOption } from '../test/fakes';
import { configSettings as settings, renderConfigEditor as renderEditor } from '../test/configEditor';
import { ServiceStatsOptions, ServiceStatsSecureJsonData, TlsSource } from '../types';
import { SecretKey } from './config/settings';
import { tlsKeys } from './config/TlsSettings';

const ids = Selectors.ConfigEditor;

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

describe('ConfigEditor — URLs', () => {
  it.each([
    { testId: ids.onapp.url, text: 'cp.example.com', message: 'An absolute URL such as https://api.example.com' },
    {
      testId: ids.pulse.url,
      text: 'ftp://pulse.example.com',
      message: 'An absolute http:// or https:// URL such as https://api.example.com',
    },
    {
      testId: ids.onapp.url,
      text: 'https://user:pw@cp.example.com',
      message: 'No user or password in the URL: use the secret fields',
    },
    { testId: ids.pulse.url, text: 'https://pulse.example.com/?x=1', message: 'No query string (?…) or fragment (#…)' },
  ])('says why $text is refused', async ({ testId, text, message }) => {
    const { user } = renderEditor(settings());

    await user.type(screen.getByTestId(testId), text);

    expect(screen.getByTestId(testId)).toHaveValue(text);
    expect(screen.getByText(message)).toBeInTheDocument();
  });

  it('accepts an absolute URL with a path and port', () => {
    renderEditor(settings({ onappUrl: 'http://127.0.0.1:8089/onapp', pulseUrl: 'https://pulse.example.com/api/' }));

    expect(screen.queryByText(/absolute|No user|No query/)).not.toBeInTheDocument();
  });

  it('asks for the custom OVHcloud base URL and its token URL as absolute URLs', async () => {
    const { user } = renderEditor(settings({ ovhAuthMethod: 'oauth2' }));

    await pickOption(user, /^Endpoint/, 'Custom URL');
    expect(screen.getByText('Enter the base URL')).toBeInTheDocument();

    await user.type(screen.getByTestId(ids.ovh.customUrl), 'api.example.com/1.0');
    await user.type(screen.getByTestId(ids.ovh.tokenUrl), '/auth/oauth2/token');

    expect(screen.queryByText('Enter the base URL')).not.toBeInTheDocument();
    expect(screen.getAllByText('An absolute URL such as https://api.example.com')).toHaveLength(2);
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

  it('says under each red tuning field what it takes', async () => {
    const { user, onChange } = renderEditor(settings({ timeoutSeconds: 30 }));

    await user.clear(screen.getByTestId(ids.advanced.timeoutSeconds));
    await user.type(screen.getByTestId(ids.advanced.timeoutSeconds), '-1');
    await user.type(screen.getByTestId(ids.advanced.cacheTTLSeconds), '-5');
    await user.type(screen.getByTestId(ids.advanced.maxPages), '0');
    await user.type(screen.getByTestId(ids.advanced.ovhAlertingShare), '1.5');

    expect(screen.getAllByText('A whole number, 1 or more, or empty for the default')).toHaveLength(2);
    expect(screen.getByText('A whole number, 0 or more, or empty for the default')).toBeInTheDocument();
    expect(screen.getByText('A number from 0 to below 1, or empty for the default')).toBeInTheDocument();
    // Emptying the timeout (its default) is accepted; the other three stay red, uncommitted.
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange.mock.lastCall?.[0].jsonData).toEqual({});

    await user.clear(screen.getByTestId(ids.advanced.maxPages));
    expect(screen.getAllByText('A whole number, 1 or more, or empty for the default')).toHaveLength(1);
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

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBcompanyCA\n-----END CERTIFICATE-----\n';
const CLIENT_PEM = '-----BEGIN CERTIFICATE-----\nMIIBclient\n-----END CERTIFICATE-----\n';
// Not a key: the PEM markers are joined at run time so that secret scanners do not flag the file.
const KEY_PEM = ['-----BEGIN', 'PRIVATE KEY-----\nMIIEkey\n-----END', 'PRIVATE KEY-----\n'].join(' ');

/** The base settings under which each source's TLS part is shown (OVHcloud: a custom URL). */
const TLS_BASE: Record<TlsSource, ServiceStatsOptions> = {
  ovh: { ovhEndpoint: 'https://ovh-proxy.example.com/1.0' },
  onapp: { onappUrl: 'https://cp.example.com' },
  pulse: { pulseUrl: 'https://pulse.example.com' },
};

const TLS_SOURCES: TlsSource[] = ['ovh', 'onapp', 'pulse'];

/** The TLS part of one source's section. */
function tlsPart(source: TlsSource) {
  return within(screen.getByTestId(ids[source].tls.section));
}

async function pastePem(user: ReturnType<typeof renderEditor>['user'], testId: string, pem: string) {
  await user.click(screen.getByTestId(testId));
  await user.paste(pem);
}

describe('ConfigEditor — TLS', () => {
  it.each(TLS_SOURCES)(
    '%s: is collapsed until opened, and shows each PEM field only with its switch',
    async (source) => {
      const { user, jsonData, secrets } = renderEditor(settings(TLS_BASE[source]));
      const tls = ids[source].tls;
      const keys = tlsKeys(source);

      expect(screen.queryByTestId(tls.skipVerify)).not.toBeInTheDocument();
      await user.click(tlsPart(source).getByRole('button', { name: 'Expand section TLS' }));

      // Every switch off: no PEM field, no warning.
      for (const testId of [tls.caCert, tls.clientCert, tls.clientKey, tls.skipVerifyWarning]) {
        expect(screen.queryByTestId(testId)).not.toBeInTheDocument();
      }

      await user.click(tlsPart(source).getByLabelText(/^With CA certificate/));
      expect(screen.queryByTestId(tls.clientCert)).not.toBeInTheDocument();
      await pastePem(user, tls.caCert, CA_PEM);

      await user.click(tlsPart(source).getByLabelText(/^TLS client authentication/));
      await pastePem(user, tls.clientCert, CLIENT_PEM);
      await pastePem(user, tls.clientKey, KEY_PEM);

      expect(jsonData()).toEqual({ ...TLS_BASE[source], [keys.withCACert]: true, [keys.clientAuth]: true });
      expect(secrets()).toEqual({ [keys.caCert]: CA_PEM, [keys.clientCert]: CLIENT_PEM, [keys.clientKey]: KEY_PEM });

      // Off again: the fields go and the switch's key is removed (off is the default).
      await user.click(tlsPart(source).getByLabelText(/^TLS client authentication/));
      expect(screen.queryByTestId(tls.clientCert)).not.toBeInTheDocument();
      expect(screen.queryByTestId(tls.clientKey)).not.toBeInTheDocument();
      expect(screen.getByTestId(tls.caCert)).toBeInTheDocument();
      expect(jsonData()).toEqual({ ...TLS_BASE[source], [keys.withCACert]: true });
    }
  );

  it.each(TLS_SOURCES)('%s: warns while certificate verification is skipped', async (source) => {
    const { user, jsonData } = renderEditor(settings(TLS_BASE[source]));
    const tls = ids[source].tls;
    const keys = tlsKeys(source);

    await user.click(tlsPart(source).getByRole('button', { name: 'Expand section TLS' }));
    await user.click(tlsPart(source).getByLabelText(/^Skip TLS certificate verification/));

    expect(jsonData()).toEqual({ ...TLS_BASE[source], [keys.skipVerify]: true });
    expect(screen.getByTestId(tls.skipVerifyWarning)).toHaveTextContent('Certificate verification is off');

    await user.click(tlsPart(source).getByLabelText(/^Skip TLS certificate verification/));
    expect(screen.queryByTestId(tls.skipVerifyWarning)).not.toBeInTheDocument();
    expect(jsonData()).toEqual(TLS_BASE[source]);
  });

  it('keeps each source to its own TLS keys', async () => {
    const { user, jsonData, secrets } = renderEditor(settings({ ...TLS_BASE.onapp, ...TLS_BASE.pulse }));

    await user.click(tlsPart('pulse').getByRole('button', { name: 'Expand section TLS' }));
    await user.click(tlsPart('pulse').getByLabelText(/^With CA certificate/));
    await pastePem(user, ids.pulse.tls.caCert, CA_PEM);

    expect(jsonData()).toEqual({ ...TLS_BASE.onapp, ...TLS_BASE.pulse, pulseTlsAuthWithCACert: true });
    expect(secrets()).toEqual({ pulseTlsCACert: CA_PEM });
    expect(screen.queryByTestId(ids.onapp.tls.caCert)).not.toBeInTheDocument();
  });

  it('is open when a switch is on, showing the saved PEMs as configured', () => {
    renderEditor(
      settings(
        { onappTlsAuthWithCACert: true, onappTlsAuth: true },
        { onappTlsCACert: true, onappTlsClientCert: true, onappTlsClientKey: true }
      )
    );

    for (const testId of [ids.onapp.tls.caCert, ids.onapp.tls.clientCert, ids.onapp.tls.clientKey]) {
      expect(screen.getByTestId(testId)).toHaveValue('configured');
    }
    expect(tlsPart('onapp').getByLabelText(/^With CA certificate/)).toBeChecked();
    expect(tlsPart('onapp').getByLabelText(/^Skip TLS certificate verification/)).not.toBeChecked();
    // Pulse has nothing on: its TLS part stays collapsed.
    expect(screen.queryByTestId(ids.pulse.tls.withCACert)).not.toBeInTheDocument();
  });

  it.each(
    TLS_SOURCES.flatMap((source) => {
      const keys = tlsKeys(source);
      const on = { ...TLS_BASE[source], [keys.withCACert]: true, [keys.clientAuth]: true };
      return [keys.caCert, keys.clientCert, keys.clientKey].map((secret) => ({ secret, jsonData: on }));
    })
  )('resetting $secret forgets it', async ({ secret, jsonData }) => {
    const { user, last } = renderEditor(settings(jsonData, { [secret]: true }));

    await user.click(screen.getByRole('button', { name: 'Reset' }));

    expect(last()?.secureJsonFields).toEqual({ [secret]: false });
    expect(last()?.secureJsonData).toEqual({ [secret]: '' });
    expect(last()?.jsonData).toEqual(jsonData);
  });

  it('offers OVHcloud TLS settings for a custom URL only, and turns them off for a named endpoint', async () => {
    const { user, jsonData } = renderEditor(
      settings({ ovhEndpoint: 'https://ovh-proxy.example.com/1.0', ovhTlsAuthWithCACert: true, ovhTlsSkipVerify: true })
    );
    expect(screen.getByTestId(ids.ovh.tls.caCert)).toBeInTheDocument();

    await pickOption(user, /^Endpoint/, 'ovh-ca');

    expect(screen.queryByTestId(ids.ovh.tls.section)).not.toBeInTheDocument();
    expect(jsonData()).toEqual({ ovhEndpoint: 'ovh-ca' });
  });

  it('shows no OVHcloud TLS part for a named endpoint', () => {
    renderEditor(settings({ ovhEndpoint: 'ovh-eu' }));

    expect(screen.queryByTestId(ids.ovh.tls.section)).not.toBeInTheDocument();
    expect(screen.getByTestId(ids.onapp.tls.section)).toBeInTheDocument();
    expect(screen.getByTestId(ids.pulse.tls.section)).toBeInTheDocument();
  });
});

describe('ConfigEditor — Secure SOCKS proxy', () => {
  const enabled = config.secureSocksDSProxyEnabled;
  afterEach(() => {
    config.secureSocksDSProxyEnabled = enabled;
  });

  it('is hidden while Grafana does not enable the feature', () => {
    config.secureSocksDSProxyEnabled = false;
    renderEditor(settings());

    expect(screen.queryByTestId(ids.secureSocksProxy)).not.toBeInTheDocument();
  });

  it('sets enableSecureSocksProxy when Grafana enables the feature', async () => {
    config.secureSocksDSProxyEnabled = true;
    const { user, jsonData } = renderEditor(settings({ pulseUrl: 'https://pulse.example.com' }));
    const proxy = within(screen.getByTestId(ids.secureSocksProxy)).getByRole('switch');
    expect(proxy).not.toBeChecked();

    await user.click(proxy);
    expect(jsonData()).toEqual({ pulseUrl: 'https://pulse.example.com', enableSecureSocksProxy: true });

    await user.click(proxy);
    expect(jsonData()).toEqual({ pulseUrl: 'https://pulse.example.com', enableSecureSocksProxy: false });
  });

  it('shows a provisioned proxy setting as on', () => {
    config.secureSocksDSProxyEnabled = true;
    renderEditor(settings({ enableSecureSocksProxy: true }));

    expect(within(screen.getByTestId(ids.secureSocksProxy)).getByRole('switch')).toBeChecked();
  });
});
