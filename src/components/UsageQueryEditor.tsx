import { SelectableValue } from '@grafana/data';
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { Combobox, ComboboxOption, Input, RadioButtonGroup } from '@grafana/ui';
import React from 'react';

import { Selectors } from '../selectors';
import {
  AGGREGATE_REPORTS,
  DEFAULT_USAGE_LIMIT,
  DERIVED_REPORTS,
  MAX_USAGE_LIMIT,
  UsageQuery,
  UsageReport,
  UsageSplitBy,
} from '../types';
import { SubEditorProps, useCommit, useVariableOptions } from './editorProps';
import { useNumberInput } from './numberInput';
import { selectedOption, whenSelected, withVariables } from './selectValues';
import { useResourceOptions } from './useResourceOptions';

const ids = Selectors.QueryEditor.usage;

const REPORT_OPTIONS: Array<ComboboxOption<UsageReport>> = [
  { value: 'logs', label: 'Logs', description: 'One row per request' },
  { value: 'requests', label: 'Requests', description: 'Total requests per enterprise' },
  { value: 'complexity', label: 'Complexity', description: 'Average complexity per enterprise' },
  { value: 'devices', label: 'Devices', description: 'Total requests per device' },
  { value: 'routes', label: 'Routes', description: 'Total requests per route' },
  { value: 'requestRate', label: 'Requests per interval (derived)', description: 'Counted from the logs' },
  { value: 'latency', label: 'Execution time p50/p95/max (derived)', description: 'Computed from the logs' },
];

const SPLIT_BY_OPTIONS: Array<SelectableValue<UsageSplitBy>> = [
  { value: '', label: 'None' },
  { value: 'route', label: 'Route' },
  { value: 'enterprise', label: 'Enterprise' },
  { value: 'device', label: 'Device' },
];

/** Switches the report, dropping the options the new report does not take. */
export function withReport(query: UsageQuery, report: UsageReport): UsageQuery {
  const { topN, splitBy, ...rest } = query;
  return {
    ...rest,
    report,
    ...(AGGREGATE_REPORTS.includes(report) && topN !== undefined ? { topN } : {}),
    ...(DERIVED_REPORTS.includes(report) && splitBy !== undefined ? { splitBy } : {}),
  };
}

/** Usage (Pulse): report, enterprise filter, page size, and the report's own options. */
export function UsageQueryEditor(props: SubEditorProps<UsageQuery>) {
  const { query, datasource } = props;
  const commit = useCommit(props);
  const variables = useVariableOptions();
  const enterprises = useResourceOptions(datasource, 'usage/enterprises');
  const enterpriseOptions = withVariables(enterprises.options, variables);

  const onLimit = (limit: number | undefined) => commit({ limit: limit ?? DEFAULT_USAGE_LIMIT });
  const onTopN = (topN: number | undefined) =>
    commit((latest) => {
      const { topN: _old, ...rest } = latest;
      return topN ? { ...rest, topN } : rest;
    });
  const limit = useNumberInput({ min: 1, max: MAX_USAGE_LIMIT, value: query.limit, onCommit: onLimit });
  const topN = useNumberInput({ min: 0, value: query.topN, onCommit: onTopN });

  return (
    <EditorRow>
      <EditorFieldGroup>
        <EditorField label="Report">
          <Combobox<UsageReport>
            id="servicestats-usage-report"
            data-testid={ids.report}
            width={36}
            options={REPORT_OPTIONS}
            value={query.report}
            onChange={whenSelected((report) =>
              commit((latest) => (report === latest.report ? undefined : withReport(latest, report)))
            )}
          />
        </EditorField>
        <EditorField label="Enterprise" invalid={Boolean(enterprises.error)} error={enterprises.error}>
          <Combobox
            id="servicestats-usage-enterprise"
            data-testid={ids.enterprise}
            width={25}
            options={enterpriseOptions}
            value={selectedOption(query.enterpriseId, enterpriseOptions)}
            loading={enterprises.loading}
            createCustomValue
            isClearable
            placeholder="All enterprises"
            onChange={(option) => {
              // null is the clear button; undefined is Enter with nothing highlighted, which changes nothing.
              if (option !== undefined) {
                commit({ enterpriseId: option?.value ?? '' });
              }
            }}
          />
        </EditorField>
        <EditorField
          label="Page size"
          tooltip={`Rows per call to Pulse (1–${MAX_USAGE_LIMIT}).`}
          invalid={limit.problem !== undefined}
          error={limit.problem}
        >
          <Input
            id="servicestats-usage-limit"
            data-testid={ids.limit}
            width={10}
            placeholder={String(DEFAULT_USAGE_LIMIT)}
            {...limit.inputProps}
          />
        </EditorField>
        {AGGREGATE_REPORTS.includes(query.report) && (
          <EditorField
            label="Top N"
            tooltip="Keep only the N largest rows; empty keeps every row."
            optional
            invalid={topN.problem !== undefined}
            error={topN.problem}
          >
            <Input
              id="servicestats-usage-top-n"
              data-testid={ids.topN}
              width={10}
              placeholder="all"
              {...topN.inputProps}
            />
          </EditorField>
        )}
        {DERIVED_REPORTS.includes(query.report) && (
          <EditorField label="Split by" tooltip="One series per route, enterprise or device.">
            <RadioButtonGroup<UsageSplitBy>
              options={SPLIT_BY_OPTIONS}
              value={query.splitBy ?? ''}
              onChange={(splitBy) => commit({ splitBy })}
            />
          </EditorField>
        )}
      </EditorFieldGroup>
    </EditorRow>
  );
}
