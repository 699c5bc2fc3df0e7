import { css } from '@emotion/css';
import {
  CoreApp,
  DataFrame,
  DataQueryRequest,
  DataQueryResponse,
  dateTime,
  FieldType,
  GrafanaTheme2,
  rangeUtil,
  TimeRange,
} from '@grafana/data';
import { Stack, Tab, TabsBar, Text, useStyles2 } from '@grafana/ui';
import React, { ReactNode, useEffect, useRef, useState } from 'react';
import { catchError, defer, from, last, lastValueFrom, map, Observable, of, Subscription } from 'rxjs';

import { ConfigEditor } from '../../../src/components/ConfigEditor';
import { QueryEditor } from '../../../src/components/QueryEditor';
import { VariableQueryEditor } from '../../../src/components/VariableQueryEditor';
import { DataSource } from '../../../src/datasource';
import { toVariableQuery } from '../../../src/queries';
import { ServiceStatsQuery, VariableQuery } from '../../../src/types';
import { ServiceStatsVariableSupport } from '../../../src/variables';
import { newDataSourceSettings } from './services';

export type EditorName = 'query' | 'config' | 'variable';

export const EDITORS: Array<{ name: EditorName; label: string }> = [
  { name: 'query', label: 'Query editor' },
  { name: 'config', label: 'Config editor' },
  { name: 'variable', label: 'Variable editor' },
];

/** What the page shows as JSON, and exposes as `window.harness` for the browser test. */
export interface HarnessState {
  editor: EditorName;
  /** The query model, the data source settings or the variable query, as the editor left it. */
  model: unknown;
  /** Query editor: the last query run through the plugin (QueryData), summarised. */
  result?: RunSummary;
  /** Variable editor: the values the variable lists (CustomVariableSupport.query). */
  preview?: PreviewSummary;
}

declare global {
  interface Window {
    harness?: HarnessState;
  }
}

export const TestIds = {
  editor: 'harness-editor',
  model: 'harness-model',
  result: 'harness-result',
  preview: 'harness-preview',
  state: 'harness-state',
} as const;

interface AppProps {
  editor: EditorName;
  datasource: DataSource;
}

export function App({ editor, datasource }: AppProps) {
  const styles = useStyles2(getStyles);
  const [state, setState] = useState<HarnessState>({ editor, model: null });

  useEffect(() => {
    window.harness = state;
  }, [state]);

  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <Stack direction="row" alignItems="center" gap={2}>
          <img src="img/logo.svg" alt="" width={32} height={32} />
          <Text element="h1" variant="h3">
            Service Stats — editors harness
          </Text>
        </Stack>
        <TabsBar>
          {EDITORS.map(({ name, label }) => (
            <Tab key={name} label={label} active={name === editor} href={`?editor=${name}`} />
          ))}
        </TabsBar>
      </header>
      <main className={styles.main}>
        {editor === 'query' && <QueryEditorPage datasource={datasource} setState={setState} />}
        {editor === 'config' && <ConfigEditorPage setState={setState} />}
        {editor === 'variable' && <VariableEditorPage datasource={datasource} setState={setState} />}
        <section data-testid={TestIds.state} className={styles.state}>
          <Text element="h2" variant="h5">
            Model
          </Text>
          <pre data-testid={TestIds.model} className={styles.json}>
            {JSON.stringify(state.model, null, 2)}
          </pre>
          {state.result && (
            <>
              <Text element="h2" variant="h5">
                Last query run
              </Text>
              <pre data-testid={TestIds.result} className={styles.json}>
                {JSON.stringify(state.result, null, 2)}
              </pre>
            </>
          )}
          {state.preview && (
            <>
              <Text element="h2" variant="h5">
                Variable values
              </Text>
              <pre data-testid={TestIds.preview} className={styles.json}>
                {JSON.stringify(state.preview, null, 2)}
              </pre>
            </>
          )}
        </section>
      </main>
    </div>
  );
}

type SetState = React.Dispatch<React.SetStateAction<HarnessState>>;

/** A panel like Grafana's: a header, then the editor. The browser test screenshots it. */
function EditorPanel({ title, children }: { title: ReactNode; children: ReactNode }) {
  const styles = useStyles2(getStyles);
  return (
    <section data-testid={TestIds.editor} className={styles.panel}>
      <div className={styles.panelHeader}>{title}</div>
      <div className={styles.panelBody}>{children}</div>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Query editor: as in a panel's query row; every onRunQuery runs the query through the plugin.
// ---------------------------------------------------------------------------------------------

export interface RunSummary {
  /** The run's number: each onRunQuery starts one and cancels the one in flight. */
  run: number;
  state: 'Skipped' | 'Done' | 'Error';
  /** The model as it was when the run started. */
  query: ServiceStatsQuery;
  error?: string;
  /** One entry per frame: its name, its number of rows and its value fields with their labels. */
  frames?: Array<{ name: string; rows: number; fields: Array<{ name: string; labels?: Record<string, string> }> }>;
}

function QueryEditorPage({ datasource, setState }: { datasource: DataSource; setState: SetState }) {
  const styles = useStyles2(getStyles);
  const [query, setQuery] = useState<ServiceStatsQuery>(
    () =>
      ({
        refId: 'A',
        datasource: datasource.getRef(),
        ...datasource.getDefaultQuery(CoreApp.PanelEditor),
      }) as ServiceStatsQuery
  );
  // onRunQuery follows onChange at once, before React re-renders: like Grafana's query runner,
  // read the query that onChange stored rather than the rendered one.
  const latest = useRef(query);
  const runs = useRef(0);
  const running = useRef<Subscription>();
  useEffect(() => () => running.current?.unsubscribe(), []);

  useEffect(() => {
    setState((state) => ({ ...state, model: query }));
  }, [query, setState]);

  const onChange = (next: ServiceStatsQuery) => {
    latest.current = next;
    setQuery(next);
  };

  const onRunQuery = () => {
    // Like Grafana's query runner, a new run cancels the one in flight (its HTTP call is aborted).
    running.current?.unsubscribe();
    const run = ++runs.current;
    running.current = runQuery(datasource, latest.current, run).subscribe((summary) =>
      setState((state) => ({ ...state, result: summary }))
    );
  };

  return (
    <EditorPanel
      title={
        <Stack direction="row" alignItems="center" gap={1}>
          <span className={styles.refId}>{query.refId}</span>
          <Text color="secondary">({datasource.name})</Text>
        </Stack>
      }
    >
      <QueryEditor
        query={query}
        datasource={datasource}
        onChange={onChange}
        onRunQuery={onRunQuery}
        app={CoreApp.PanelEditor}
      />
    </EditorPanel>
  );
}

/** The dashboard's time range: the last 2 days (OnApp buckets CDN traffic by day). */
function timeRange(): TimeRange {
  const to = dateTime();
  return { from: dateTime(to).subtract(2, 'days'), to, raw: { from: 'now-2d', to: 'now' } };
}

const MAX_DATA_POINTS = 1000;

/** Runs a query as a panel would, through POST /api/ds/query. */
function runQuery(datasource: DataSource, query: ServiceStatsQuery, run: number): Observable<RunSummary> {
  if (!datasource.filterQuery(query)) {
    // Answered at once, but asynchronously, as by Grafana's (async) query runner.
    return defer(async (): Promise<RunSummary> => ({ run, state: 'Skipped', query }));
  }
  const range = timeRange();
  const { interval, intervalMs } = rangeUtil.calculateInterval(range, MAX_DATA_POINTS);
  const request = {
    app: CoreApp.PanelEditor,
    requestId: `harness-${run}`,
    interval,
    intervalMs,
    maxDataPoints: MAX_DATA_POINTS,
    range,
    scopedVars: {},
    targets: [query],
    timezone: 'browser',
    startTime: Date.now(),
  } as DataQueryRequest<ServiceStatsQuery>;
  return defer(() => from(datasource.query(request))).pipe(
    last(),
    map((response: DataQueryResponse): RunSummary => {
      const error = response.errors?.[0]?.message ?? response.error?.message;
      const frames = (response.data as DataFrame[]).map((frame) => ({
        name: frame.name ?? '',
        rows: frame.length,
        fields: frame.fields
          .filter((field) => field.type !== FieldType.time)
          .map(({ name, labels }) => (labels ? { name, labels: { ...labels } } : { name })),
      }));
      return error ? { run, state: 'Error', query, error, frames } : { run, state: 'Done', query, frames };
    }),
    catchError((error: unknown) =>
      of<RunSummary>({
        run,
        state: 'Error',
        query,
        error: error instanceof Error ? error.message : JSON.stringify(error),
      })
    )
  );
}

// ---------------------------------------------------------------------------------------------
// Config editor: a data source being added.
// ---------------------------------------------------------------------------------------------

function ConfigEditorPage({ setState }: { setState: SetState }) {
  const [options, setOptions] = useState(newDataSourceSettings);

  useEffect(() => {
    setState((state) => ({ ...state, model: options }));
  }, [options, setState]);

  return (
    <EditorPanel title={<Text weight="medium">Settings</Text>}>
      <ConfigEditor options={options} onOptionsChange={setOptions} />
    </EditorPanel>
  );
}

// ---------------------------------------------------------------------------------------------
// Variable editor: a new query variable (Grafana stores its query as '' at first), with the
// values it lists previewed on every change, as Grafana's variable editor does.
// ---------------------------------------------------------------------------------------------

export interface PreviewSummary {
  state: 'Done' | 'Error';
  query: VariableQuery;
  values?: Array<{ text: string; value: string }>;
  error?: string;
}

function VariableEditorPage({ datasource, setState }: { datasource: DataSource; setState: SetState }) {
  const styles = useStyles2(getStyles);
  // A new variable's query is Grafana's empty string; the plugin reads it as "billing accounts".
  const [query, setQuery] = useState<VariableQuery>('' as unknown as VariableQuery);
  const [preview, setPreview] = useState<PreviewSummary>();
  const previews = useRef(0);

  useEffect(() => {
    setState((state) => ({ ...state, model: query }));
    const current = ++previews.current;
    // Lines need an account: until one is picked there is nothing to list (the backend would
    // answer 400), so the preview waits, as Grafana's does for a query that cannot run.
    const variableQuery = toVariableQuery(query);
    if (variableQuery.kind === 'lines' && !variableQuery.billingAccount) {
      setPreview(undefined);
      setState(({ preview: _old, ...state }) => state);
      return;
    }
    previewValues(datasource, query).then((summary) => {
      if (current === previews.current) {
        setPreview(summary);
        setState((state) => ({ ...state, preview: summary }));
      }
    });
  }, [datasource, query, setState]);

  return (
    <EditorPanel title={<Text weight="medium">Query options</Text>}>
      <VariableQueryEditor
        query={query}
        datasource={datasource}
        onChange={setQuery}
        onRunQuery={() => {}}
        app={CoreApp.Dashboard}
      />
      <div className={styles.preview}>
        <Text element="h3" variant="h6">
          Preview of values
        </Text>
        <div className={styles.chips}>
          {preview?.values?.map(({ text, value }) => (
            <span key={value} className={styles.chip} title={value}>
              {text}
            </span>
          ))}
          {preview?.error && <Text color="error">{preview.error}</Text>}
        </div>
      </div>
    </EditorPanel>
  );
}

async function previewValues(datasource: DataSource, query: VariableQuery): Promise<PreviewSummary> {
  const support = datasource.variables as ServiceStatsVariableSupport;
  const request = {
    targets: [query],
    scopedVars: {},
    range: timeRange(),
  } as unknown as DataQueryRequest<VariableQuery>;
  try {
    const response = await lastValueFrom(support.query(request));
    const [frame] = response.data as DataFrame[];
    const texts = frame?.fields.find((field) => field.name === 'text')?.values ?? [];
    const values = frame?.fields.find((field) => field.name === 'value')?.values ?? [];
    return {
      state: 'Done',
      query,
      values: values.map((value: string, i: number) => ({ text: texts[i], value })),
    };
  } catch (error) {
    const message = (error as { data?: { message?: string }; message?: string }).data?.message;
    return { state: 'Error', query, error: message ?? String(error) };
  }
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({
    minHeight: '100vh',
    background: theme.colors.background.canvas,
    padding: theme.spacing(2, 3),
  }),
  header: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  }),
  main: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(3),
  }),
  panel: css({
    background: theme.colors.background.primary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
  }),
  panelHeader: css({
    display: 'flex',
    alignItems: 'center',
    minHeight: theme.spacing(5),
    padding: theme.spacing(0, 2),
    background: theme.colors.background.secondary,
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  panelBody: css({
    padding: theme.spacing(2),
  }),
  refId: css({
    fontWeight: theme.typography.fontWeightMedium,
    color: theme.colors.primary.text,
  }),
  state: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
  }),
  json: css({
    maxHeight: 360,
    overflow: 'auto',
    margin: 0,
  }),
  preview: css({
    marginTop: theme.spacing(2),
  }),
  chips: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
  }),
  chip: css({
    padding: theme.spacing(0.25, 1),
    borderRadius: theme.shape.radius.default,
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});
