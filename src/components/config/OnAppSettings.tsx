import { SelectableValue } from '@grafana/data';
import { ConfigSection } from '@grafana/plugin-ui';
import { Field, RadioButtonGroup } from '@grafana/ui';
import React from 'react';

import { Selectors } from '../../selectors';
import { OnAppApi, OnAppFormat } from '../../types';
import { SecretField } from './SecretField';
import { SectionProps, withJsonData } from './settings';
import { TextField } from './TextField';
import { TlsSettings } from './TlsSettings';
import { urlProblem } from './validation';

const ids = Selectors.ConfigEditor.onapp;

const API_OPTIONS: Array<SelectableValue<OnAppApi>> = [
  { value: 'legacy', label: 'Legacy', description: 'GET /cdn_resources/bandwidth (OnApp 5.5 and earlier)' },
  { value: 'reports', label: 'Reports', description: 'GET /cdn/reports/bandwidth_statistics (OnApp 5.6 and later)' },
];

const FORMAT_OPTIONS: Array<SelectableValue<OnAppFormat>> = [
  { value: 'json', label: 'JSON' },
  { value: 'xml', label: 'XML' },
];

/** CDN bandwidth — OnApp: control panel URL, user, API key, API flavour, time zone and TLS. */
export function OnAppSettings(props: SectionProps) {
  const { options, onOptionsChange } = props;
  return (
    <ConfigSection
      title="CDN bandwidth — OnApp"
      description="Bandwidth of OnApp CDN resources. Least privilege: use the API key of a read-only OnApp user created for Grafana."
    >
      <TextField
        {...props}
        setting="onappUrl"
        label="URL"
        placeholder="https://cp.example.com"
        testId={ids.url}
        check={urlProblem}
      />
      <TextField
        {...props}
        setting="onappUser"
        label="User e-mail"
        placeholder="grafana@example.com"
        testId={ids.user}
      />
      <SecretField {...props} secret="onappApiKey" label="API key" testId={ids.apiKey} />
      <Field
        label="API flavour"
        description="Legacy for OnApp 5.5 and earlier, Reports for OnApp 5.6 and later."
        htmlFor="servicestats-onappApi"
      >
        <RadioButtonGroup<OnAppApi>
          id="servicestats-onappApi"
          options={API_OPTIONS}
          value={options.jsonData.onappApi ?? 'legacy'}
          onChange={(value) => onOptionsChange(withJsonData(options, { onappApi: value }))}
        />
      </Field>
      <Field
        label="Answer format"
        description="JSON suits most servers; XML reads the documented XML answers."
        htmlFor="servicestats-onappFormat"
      >
        <RadioButtonGroup<OnAppFormat>
          id="servicestats-onappFormat"
          options={FORMAT_OPTIONS}
          value={options.jsonData.onappFormat ?? 'json'}
          onChange={(value) => onOptionsChange(withJsonData(options, { onappFormat: value }))}
        />
      </Field>
      <TextField
        {...props}
        setting="onappTimeZone"
        label="Time zone"
        description="IANA name of the time zone the OnApp server reads dates in, e.g. Europe/Paris."
        placeholder="UTC"
        testId={ids.timeZone}
      />
      <TlsSettings {...props} source="onapp" server="the OnApp control panel" />
    </ConfigSection>
  );
}
