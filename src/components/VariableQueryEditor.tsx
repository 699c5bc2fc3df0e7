import { QueryEditorProps } from '@grafana/data';
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { Combobox, ComboboxOption } from '@grafana/ui';
import React from 'react';

import type { DataSource } from '../datasource';
import { Selectors } from '../selectors';
import { toVariableQuery } from '../queries';
import { ServiceStatsOptions, ServiceStatsQuery, VariableQuery, VariableQueryKind } from '../types';
import { useVariableOptions } from './editorProps';
import { selectedOption, whenSelected, withVariables } from './selectValues';
import { OptionsSource, useResourceOptions } from './useResourceOptions';
import { ALL_ACCOUNTS_OPTION } from './TelephonyQueryEditor';

type Props = QueryEditorProps<DataSource, ServiceStatsQuery, ServiceStatsOptions, VariableQuery>;

const KIND_OPTIONS: Array<ComboboxOption<VariableQueryKind>> = [
  { value: 'billingAccounts', label: 'Billing accounts', description: 'OVHcloud telephony billing accounts' },
  { value: 'lines', label: 'Lines', description: 'Lines of one billing account' },
  { value: 'metrics', label: 'Metrics', description: 'The four telephony metrics' },
  { value: 'cdnResources', label: 'CDN resources', description: 'OnApp CDN resources (value: reference)' },
  { value: 'cdnLocations', label: 'CDN locations', description: 'OnApp edge locations (value: id)' },
  { value: 'enterprises', label: 'Enterprises', description: 'Pulse enterprises' },
  { value: 'devices', label: 'Devices', description: 'Pulse devices' },
  { value: 'routes', label: 'Routes', description: 'Pulse routes' },
];

/** The editor of a query variable: what to list, and for lines, of which billing account. */
export function VariableQueryEditor({ query: stored, datasource, onChange }: Props) {
  const query = toVariableQuery(stored);

  const onKindChange = (kind: VariableQueryKind) => {
    const { billingAccount, ...rest } = query;
    onChange(kind === 'lines' ? { ...rest, kind, billingAccount: billingAccount ?? '' } : { ...rest, kind });
  };

  return (
    <EditorRow>
      <EditorFieldGroup>
        <EditorField label="List">
          <Combobox<VariableQueryKind>
            id="servicestats-variable-kind"
            data-testid={Selectors.VariableQueryEditor.kind}
            width={25}
            options={KIND_OPTIONS}
            value={query.kind}
            onChange={whenSelected(onKindChange)}
          />
        </EditorField>
        {query.kind === 'lines' && (
          <BillingAccountField
            datasource={datasource}
            value={query.billingAccount ?? ''}
            onChange={(billingAccount) => onChange({ ...query, billingAccount })}
          />
        )}
      </EditorFieldGroup>
    </EditorRow>
  );
}

interface BillingAccountFieldProps {
  datasource: OptionsSource;
  value: string;
  onChange: (billingAccount: string) => void;
}

/**
 * The account whose lines to list: one account, All accounts (`*`: the lines of every account), or
 * another variable such as `$ba`, which chains the two.
 */
function BillingAccountField({ datasource, value, onChange }: BillingAccountFieldProps) {
  const variables = useVariableOptions();
  const accounts = useResourceOptions(datasource, 'telephony/billing-accounts');
  const options = [ALL_ACCOUNTS_OPTION, ...withVariables(accounts.options, variables)];
  return (
    <EditorField label="Billing account" invalid={Boolean(accounts.error)} error={accounts.error}>
      <Combobox
        id="servicestats-variable-billing-account"
        data-testid={Selectors.VariableQueryEditor.billingAccount}
        width={30}
        options={options}
        value={selectedOption(value, options)}
        loading={accounts.loading}
        createCustomValue
        placeholder="Choose an account or a variable"
        onChange={whenSelected(onChange)}
      />
    </EditorField>
  );
}
