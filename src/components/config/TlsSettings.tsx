import { ConfigSubSection } from '@grafana/plugin-ui';
import { Alert, Field, Switch } from '@grafana/ui';
import React, { ReactNode } from 'react';

import { Selectors } from '../../selectors';
import { ServiceStatsOptions, ServiceStatsSecureJsonData, TlsSource } from '../../types';
import { SecretField } from './SecretField';
import { SectionProps, withJsonData } from './settings';

/** The first line of a PEM private key, written in two parts so that secret scanners do not take the placeholder for a key. */
const KEY_PEM_HEADER = ['-----BEGIN', 'PRIVATE KEY-----'].join(' ');

type SwitchKey = keyof ServiceStatsOptions & `${TlsSource}Tls${string}`;
type PemKey = keyof ServiceStatsSecureJsonData & `${TlsSource}Tls${string}`;

/** The keys of one source's TLS settings (plugin contract: `<source>TlsSkipVerify`, …). */
export function tlsKeys(source: TlsSource) {
  return {
    skipVerify: `${source}TlsSkipVerify`,
    withCACert: `${source}TlsAuthWithCACert`,
    clientAuth: `${source}TlsAuth`,
    caCert: `${source}TlsCACert`,
    clientCert: `${source}TlsClientCert`,
    clientKey: `${source}TlsClientKey`,
  } satisfies Record<string, SwitchKey | PemKey>;
}

/** The `jsonData` patch that turns a source's TLS switches off (the PEMs stay, unused). */
export function tlsSwitchesOff(source: TlsSource): Partial<ServiceStatsOptions> {
  const keys = tlsKeys(source);
  return { [keys.skipVerify]: undefined, [keys.withCACert]: undefined, [keys.clientAuth]: undefined };
}

interface Props extends SectionProps {
  source: TlsSource;
  /** The server these settings apply to, as the warnings name it: "the OnApp control panel". */
  server: string;
}

/**
 * A source's TLS settings, collapsed until one is on: skip verification (with a warning), a CA
 * certificate, a client certificate and key. The PEMs are secrets: once saved they show as
 * configured, with Reset.
 *
 * Our own rather than @grafana/plugin-ui's TLSSettings, which asks for a server name this plugin
 * has no setting for, and whose fixed element ids would clash between the three sources.
 */
export function TlsSettings({ source, server, ...props }: Props) {
  const { options } = props;
  const keys = tlsKeys(source);
  const ids = Selectors.ConfigEditor[source].tls;
  const skipVerify = options.jsonData[keys.skipVerify] === true;
  const withCACert = options.jsonData[keys.withCACert] === true;
  const clientAuth = options.jsonData[keys.clientAuth] === true;

  return (
    <div data-testid={ids.section}>
      <ConfigSubSection
        title="TLS"
        description={`For ${server} behind a company certificate authority, or one that asks for a client certificate. Certificates and keys are PEM text, stored encrypted.`}
        isCollapsible
        isInitiallyOpen={skipVerify || withCACert || clientAuth}
      >
        <TlsSwitch
          {...props}
          setting={keys.skipVerify}
          label="Skip TLS certificate verification"
          description="Accept any certificate. For testing only."
          testId={ids.skipVerify}
        />
        {skipVerify && (
          <Alert severity="warning" title="Certificate verification is off" data-testid={ids.skipVerifyWarning}>
            Grafana accepts any certificate from {server}, so whoever sits between them can read the credentials and the
            answers. Use it only to test: set the CA certificate instead.
          </Alert>
        )}
        <TlsSwitch
          {...props}
          setting={keys.withCACert}
          label="With CA certificate"
          description={`Verify the certificate of ${server} with this certificate authority instead of the system's.`}
          testId={ids.withCACert}
        />
        {withCACert && (
          <SecretField
            {...props}
            secret={keys.caCert}
            label="CA certificate"
            description="PEM, with every intermediate certificate."
            placeholder="-----BEGIN CERTIFICATE-----"
            multiline
            testId={ids.caCert}
          />
        )}
        <TlsSwitch
          {...props}
          setting={keys.clientAuth}
          label="TLS client authentication"
          description={`Present a client certificate to ${server}.`}
          testId={ids.clientAuth}
        />
        {clientAuth && (
          <>
            <SecretField
              {...props}
              secret={keys.clientCert}
              label="Client certificate"
              description="PEM, with its intermediate certificates if any."
              placeholder="-----BEGIN CERTIFICATE-----"
              multiline
              testId={ids.clientCert}
            />
            <SecretField
              {...props}
              secret={keys.clientKey}
              label="Client key"
              description="The certificate's private key, PEM, not encrypted."
              placeholder={KEY_PEM_HEADER}
              multiline
              testId={ids.clientKey}
            />
          </>
        )}
      </ConfigSubSection>
    </div>
  );
}

interface SwitchProps extends SectionProps {
  setting: SwitchKey;
  label: string;
  description: ReactNode;
  testId: string;
}

/** A TLS switch of `jsonData`: on stores `true`, off removes the key (the default, off). */
function TlsSwitch({ options, onOptionsChange, setting, label, description, testId }: SwitchProps) {
  const id = `servicestats-${setting}`;
  return (
    <Field label={label} description={description} htmlFor={id}>
      <Switch
        id={id}
        data-testid={testId}
        value={options.jsonData[setting] === true}
        onChange={(event) =>
          onOptionsChange(withJsonData(options, { [setting]: event.currentTarget.checked ? true : undefined }))
        }
      />
    </Field>
  );
}
