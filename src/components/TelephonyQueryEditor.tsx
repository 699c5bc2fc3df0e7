import { SelectableValue } from '@grafana/data';
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { Combobox, ComboboxOption, MultiCombobox, RadioButtonGroup } from '@grafana/ui';
import React, { useEffect, useRef } from 'react';

import { Selectors } from '../selectors';
import { ALL, MosScale, TelephonyQuery, Timeframe } from '../types';
import { SubEditorProps, useCommit, useVariableOptions } from './editorProps';
import { selectedOption, selectedOptions, valuesOf, whenSelected, withVariables } from './selectValues';
import { ResourceOptions, useResourceOptions } from './useResourceOptions';

const ids = Selectors.QueryEditor.telephony;

/**
 * The widths of the two pickers of several values, in grid units. Fixed (auto with min = max): a
 * MultiCombobox shows as many chips as its measured width holds, and an auto width that follows its
 * chips shrinks with each measure until one chip and a counter are left. A numeric `width` is no
 * better: @grafana/ui 13.1 measures it as pixels. Lines holds three line numbers beside the "+N"
 * counter; metrics holds the four metrics.
 */
const LINES_WIDTH = 70;
const METRICS_WIDTH = 56;

/** Shown until (or unless) the backend's list of metrics arrives. */
export const METRIC_OPTIONS: Array<ComboboxOption<string>> = [
  // The backend's units (pkg/ovh/frames.go, unitFor): delay and jitter in seconds, MOS and packets plain numbers.
  { value: 'rtpMos', label: 'MOS', description: 'Mean opinion score of the calls, 0–5000 as sent (or 1–5)' },
  { value: 'maxJitter', label: 'Max jitter', description: 'Largest jitter during the call, in seconds' },
  { value: 'maxDelay', label: 'Max delay', description: 'Largest delay between two SIP packets, in seconds' },
  { value: 'sumRtpLost', label: 'Lost RTP packets', description: 'Number of lost RTP packets' },
];

const TIMEFRAME_OPTIONS: Array<ComboboxOption<Timeframe>> = [
  { value: 'auto', label: 'Auto', description: "The smallest window covering the dashboard's time range" },
  { value: 'hourly', label: 'Last hour' },
  { value: 'daily', label: 'Last 24 hours' },
  { value: 'weekly', label: 'Last 7 days' },
  { value: 'monthly', label: 'Last 31 days' },
  { value: 'yearly', label: 'Last 366 days' },
];

/** `billingAccount: "*"`: every account the credentials see, listed when the query runs. */
export const ALL_ACCOUNTS_OPTION: ComboboxOption<string> = {
  value: ALL,
  label: 'All accounts',
  description: 'Every billing account the credentials see, as listed when the query runs',
};

/** `lines: ["*"]`: every line of the account(s), listed when the query runs. */
export const ALL_LINES_OPTION: ComboboxOption<string> = {
  value: ALL,
  label: 'All lines',
  description: 'Every line of the account, as listed when the query runs: lines added later are included',
};

const MOS_SCALE_OPTIONS: Array<SelectableValue<MosScale>> = [
  { value: 'raw', label: 'Raw (0–5000)', description: 'As OVHcloud sends it' },
  { value: 'mos', label: 'MOS (1–5)', description: 'The usual mean opinion score scale' },
];

type Commit = (patch: Partial<TelephonyQuery>) => void;

/**
 * A line as the picker shows it: its number as the label (so that a chip is short and says which line
 * it is), its description (the backend's text) and service type as the secondary text.
 */
export function lineOption({ value, label, description }: ComboboxOption<string>): ComboboxOption<string> {
  const details = [label !== undefined && label !== value ? label : undefined, description].filter(Boolean);
  return details.length > 0 ? { value, label: value, description: details.join(' · ') } : { value, label: value };
}

/**
 * Whether the MOS scale applies: MOS is picked, or a variable is, which may stand for it (it expands
 * only when the query runs).
 */
export function mosScaleApplies(metrics: readonly string[]): boolean {
  return metrics.some((metric) => metric === 'rtpMos' || metric.includes('$') || metric.includes('[['));
}

/** Telephony QoS (OVHcloud): billing account, lines, metrics, timeframe and MOS scale. */
export function TelephonyQueryEditor(props: SubEditorProps<TelephonyQuery>) {
  const { query, datasource } = props;
  const commit = useCommit(props);
  const variables = useVariableOptions();

  const accounts = useResourceOptions(datasource, 'telephony/billing-accounts');
  const lines = useResourceOptions(datasource, query.billingAccount ? 'telephony/lines' : undefined, {
    billingAccount: query.billingAccount,
  });
  const metrics = useResourceOptions(datasource, 'telephony/metrics');
  useFirstAccount(query, accounts, commit);
  useAllLinesWhenNone(query, commit);

  const accountOptions = [ALL_ACCOUNTS_OPTION, ...withVariables(accounts.options, variables)];
  const lineOptions = [ALL_LINES_OPTION, ...withVariables(lines.options.map(lineOption), variables)];
  const noLines = Boolean(query.billingAccount) && query.lines.length === 0;
  const metricOptions = withVariables(metrics.options.length > 0 ? metrics.options : METRIC_OPTIONS, variables);

  return (
    <>
      <EditorRow>
        <EditorFieldGroup>
          <EditorField
            label="Billing account"
            tooltip="All accounts reads every account the credentials see; a multi-value variable such as $billingAccount reads each of its accounts."
            invalid={Boolean(accounts.error)}
            error={accounts.error}
          >
            <Combobox
              id="servicestats-telephony-billing-account"
              data-testid={ids.billingAccount}
              width={30}
              options={accountOptions}
              value={selectedOption(query.billingAccount, accountOptions)}
              loading={accounts.loading}
              createCustomValue
              placeholder="Choose an account"
              onChange={whenSelected((value) =>
                commit((latest) =>
                  value === latest.billingAccount ? undefined : { ...latest, billingAccount: value, lines: [ALL] }
                )
              )}
            />
          </EditorField>
          <EditorField
            label="Lines"
            tooltip="All lines follows the account (lines added later are included); or pick lines, or a multi-value variable such as $line, which expands to its values."
            invalid={Boolean(lines.error) || noLines}
            error={lines.error ?? (noLines ? 'Pick at least one line, or All lines' : undefined)}
          >
            <MultiCombobox
              id="servicestats-telephony-lines"
              data-testid={ids.lines}
              width="auto"
              minWidth={LINES_WIDTH}
              maxWidth={LINES_WIDTH}
              options={lineOptions}
              value={selectedOptions(query.lines, lineOptions)}
              loading={lines.loading}
              createCustomValue
              placeholder={query.billingAccount ? 'Choose lines' : 'Choose an account first'}
              // Against the lines this selection was made from (this render's), not the latest ones:
              // downshift replays a selection with the handler of its render (see useCommit), and
              // the latest lines would read a replayed pick after "All lines" as picking "All lines".
              onChange={(selection) => commit({ lines: nextLines(query.lines, valuesOf(selection)) })}
            />
          </EditorField>
        </EditorFieldGroup>
      </EditorRow>
      <EditorRow>
        <EditorFieldGroup>
          <EditorField
            label="Metrics"
            invalid={query.metrics.length === 0}
            error={query.metrics.length === 0 ? 'Pick at least one metric' : undefined}
          >
            <MultiCombobox
              id="servicestats-telephony-metrics"
              data-testid={ids.metrics}
              width="auto"
              minWidth={METRICS_WIDTH}
              maxWidth={METRICS_WIDTH}
              options={metricOptions}
              value={selectedOptions(query.metrics, metricOptions)}
              createCustomValue
              onChange={(selection) => commit({ metrics: valuesOf(selection) as TelephonyQuery['metrics'] })}
            />
          </EditorField>
          <EditorField
            label="Timeframe"
            tooltip="OVHcloud serves fixed windows ending now; Auto picks the smallest one covering the time range."
          >
            <Combobox<Timeframe>
              id="servicestats-telephony-timeframe"
              data-testid={ids.timeframe}
              width={20}
              options={TIMEFRAME_OPTIONS}
              value={query.timeframe}
              onChange={whenSelected((timeframe) => commit({ timeframe }))}
            />
          </EditorField>
          {mosScaleApplies(query.metrics) && (
            <EditorField label="MOS scale" tooltip="Applies to the MOS metric only.">
              <RadioButtonGroup<MosScale>
                options={MOS_SCALE_OPTIONS}
                value={query.mosScale}
                onChange={(mosScale) => commit({ mosScale })}
              />
            </EditorField>
          )}
        </EditorFieldGroup>
      </EditorRow>
    </>
  );
}

/**
 * The lines after a change of the picker's selection: picking "All lines" replaces the individual
 * lines, and picking a line while "All lines" is selected replaces "All lines".
 */
export function nextLines(previous: readonly string[], picked: string[]): string[] {
  const hadAll = previous.includes(ALL);
  if (picked.includes(ALL) && !hadAll) {
    return [ALL];
  }
  if (hadAll && picked.length > 1) {
    return picked.filter((line) => line !== ALL);
  }
  return picked;
}

/** Picks the first billing account (all of its lines) when the list first arrives, for a query without one. */
function useFirstAccount(query: TelephonyQuery, accounts: ResourceOptions, commit: Commit) {
  const done = useRef(false);
  useEffect(() => {
    if (done.current || !accounts.loaded) {
      return;
    }
    done.current = true;
    const first = accounts.options[0]?.value;
    if (!query.billingAccount && first) {
      commit({ billingAccount: first, lines: [ALL] });
    }
  }, [query, accounts, commit]);
}

/**
 * Opening a stored query that names an account but no line (the contract needs at least one, and
 * hand-written dashboards sometimes leave them out) selects "All lines", once.
 */
function useAllLinesWhenNone(query: TelephonyQuery, commit: Commit) {
  const done = useRef(false);
  useEffect(() => {
    if (done.current) {
      return;
    }
    done.current = true;
    if (query.billingAccount && query.lines.length === 0) {
      commit({ lines: [ALL] });
    }
  }, [query, commit]);
}
