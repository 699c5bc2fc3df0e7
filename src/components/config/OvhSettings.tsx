import { SelectableValue } from '@grafana/data';
import { ConfigSection } from '@grafana/plugin-ui';
import { Alert, Combobox, ComboboxOption, Field, RadioButtonGroup, TextLink } from '@grafana/ui';
import React, { useState } from 'react';

import { Selectors } from '../../selectors';
import { OVH_ENDPOINTS, OVH_OAUTH2_ENDPOINTS, OvhAuthMethod, OvhEndpointName } from '../../types';
import { whenSelected } from '../selectValues';
import { SecretField } from './SecretField';
import { INPUT_WIDTH, SectionProps, withJsonData } from './settings';
import { TextField } from './TextField';
import { TlsSettings, tlsSwitchesOff } from './TlsSettings';
import { urlProblem } from './validation';

const ids = Selectors.ConfigEditor.ovh;

/** The endpoint picker's value for "a full base URL". */
const CUSTOM_ENDPOINT = 'custom';

const ENDPOINT_OPTIONS: Array<ComboboxOption<string>> = [
  ...Object.entries(OVH_ENDPOINTS).map(([name, url]) => ({ value: name, label: name, description: url })),
  { value: CUSTOM_ENDPOINT, label: 'Custom URL', description: 'A proxy or another OVHcloud-compatible API' },
];

const AUTH_OPTIONS: Array<SelectableValue<OvhAuthMethod>> = [
  { value: 'keys', label: 'Application keys', description: 'Application key and secret with a consumer key' },
  { value: 'oauth2', label: 'OAuth2', description: 'Client credentials of an OVHcloud service account' },
];

export function isNamedEndpoint(endpoint: string): endpoint is OvhEndpointName {
  return Object.keys(OVH_ENDPOINTS).includes(endpoint);
}

/** Whether OAuth2 can be used: on the three OVHcloud endpoints, a custom URL, or the default (ovh-eu). */
function supportsOAuth2(endpoint: string): boolean {
  return !isNamedEndpoint(endpoint) || OVH_OAUTH2_ENDPOINTS.includes(endpoint);
}

/** OVHcloud's page that creates application keys and a consumer key with the given rights. */
function createTokenUrl(endpoint: OvhEndpointName): string {
  return `${OVH_ENDPOINTS[endpoint].replace(/\/1\.0$/, '')}/createToken/?GET=/telephony/*`;
}

/** Telephony QoS — OVHcloud: endpoint, authentication method and its credentials, TLS for a custom URL. */
export function OvhSettings(props: SectionProps) {
  const { options, onOptionsChange } = props;
  const endpoint = options.jsonData.ovhEndpoint ?? '';
  const authMethod = options.jsonData.ovhAuthMethod ?? 'keys';
  // "Custom URL" stays picked while its URL is still empty.
  const [customPicked, setCustomPicked] = useState(false);
  const isCustom = customPicked || (endpoint !== '' && !isNamedEndpoint(endpoint));
  const oauth2Available = supportsOAuth2(endpoint);

  const onEndpointChange = (value: string) => {
    if (value === CUSTOM_ENDPOINT) {
      setCustomPicked(true);
      onOptionsChange(withJsonData(options, { ovhEndpoint: isCustom ? endpoint : '' }));
      return;
    }
    setCustomPicked(false);
    // The token URL and TLS settings are for a custom URL only; the OVHcloud endpoints have their
    // official token URL and public certificates.
    onOptionsChange(withJsonData(options, { ovhEndpoint: value, ovhTokenUrl: undefined, ...tlsSwitchesOff('ovh') }));
  };

  return (
    <ConfigSection
      title="Telephony QoS — OVHcloud"
      description={
        <>
          Line statistics of OVHcloud VoIP lines. Least privilege: create a consumer key limited to{' '}
          <code>GET /telephony/*</code> (or, with OAuth2, a service account whose IAM policy only reads telephony).{' '}
          {authMethod === 'keys' && isNamedEndpoint(endpoint) && (
            <TextLink href={createTokenUrl(endpoint)} external>
              Create a consumer key
            </TextLink>
          )}
        </>
      }
    >
      <Field
        label="Endpoint"
        description="The OVHcloud API to call (default ovh-eu)."
        htmlFor="servicestats-ovhEndpoint"
      >
        <Combobox
          id="servicestats-ovhEndpoint"
          data-testid={ids.endpoint}
          width={INPUT_WIDTH}
          options={ENDPOINT_OPTIONS}
          value={isCustom ? CUSTOM_ENDPOINT : endpoint || null}
          placeholder="ovh-eu"
          onChange={whenSelected(onEndpointChange)}
        />
      </Field>

      {isCustom && (
        <TextField
          {...props}
          setting="ovhEndpoint"
          label="Base URL"
          description="The full base URL of the API, version included."
          placeholder="https://api.example.com/1.0"
          testId={ids.customUrl}
          check={(url) => (url.trim() === '' ? 'Enter the base URL' : urlProblem(url))}
        />
      )}

      <Field label="Authentication" htmlFor="servicestats-ovhAuthMethod">
        <RadioButtonGroup<OvhAuthMethod>
          id="servicestats-ovhAuthMethod"
          options={AUTH_OPTIONS}
          value={authMethod}
          disabledOptions={oauth2Available ? [] : ['oauth2']}
          onChange={(value) => onOptionsChange(withJsonData(options, { ovhAuthMethod: value }))}
        />
      </Field>

      {authMethod === 'oauth2' && !oauth2Available && (
        <Alert severity="warning" title={`OAuth2 is not available on ${endpoint}`} data-testid={ids.oauth2Warning}>
          OVHcloud offers OAuth2 service accounts on ovh-eu, ovh-ca and ovh-us only: use application keys with this
          endpoint.
        </Alert>
      )}

      {authMethod === 'keys' ? <KeysFields {...props} /> : <OAuth2Fields {...props} showTokenUrl={isCustom} />}

      {isCustom && <TlsSettings {...props} source="ovh" server="the custom URL" />}
    </ConfigSection>
  );
}

function KeysFields(props: SectionProps) {
  return (
    <>
      <TextField {...props} setting="ovhApplicationKey" label="Application key" testId={ids.applicationKey} />
      <SecretField {...props} secret="ovhApplicationSecret" label="Application secret" testId={ids.applicationSecret} />
      <SecretField
        {...props}
        secret="ovhConsumerKey"
        label="Consumer key"
        description="Validated with access rules GET /telephony/* only."
        testId={ids.consumerKey}
      />
    </>
  );
}

function OAuth2Fields({ showTokenUrl, ...props }: SectionProps & { showTokenUrl: boolean }) {
  return (
    <>
      <TextField {...props} setting="ovhClientId" label="Client ID" testId={ids.clientId} />
      <SecretField {...props} secret="ovhClientSecret" label="Client secret" testId={ids.clientSecret} />
      {showTokenUrl && (
        <TextField
          {...props}
          setting="ovhTokenUrl"
          label="Token URL"
          description="The OAuth2 token URL of the custom API; empty means <base URL>/auth/oauth2/token."
          placeholder="https://api.example.com/auth/oauth2/token"
          testId={ids.tokenUrl}
          check={urlProblem}
        />
      )}
    </>
  );
}
