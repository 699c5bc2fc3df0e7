import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { EditorField, EditorRow, EditorRows, EditorSwitch, QueryOptionGroup } from '@grafana/plugin-ui';
import { RadioButtonGroup } from '@grafana/ui';
import React from 'react';

import type { DataSource } from '../datasource';
import { defaultQueryFor, withDefaults } from '../queries';
import { Selectors } from '../selectors';
import { QueryType, ServiceStatsOptions, ServiceStatsQuery } from '../types';
import { CdnQueryEditor } from './CdnQueryEditor';
import { SubEditorProps } from './editorProps';
import { TelephonyQueryEditor } from './TelephonyQueryEditor';
import { UsageQueryEditor } from './UsageQueryEditor';

type Props = QueryEditorProps<DataSource, ServiceStatsQuery, ServiceStatsOptions>;

const QUERY_TYPE_OPTIONS: Array<SelectableValue<QueryType>> = [
  { value: 'telephony', label: 'Telephony QoS', description: 'OVHcloud VoIP line statistics' },
  { value: 'cdnBandwidth', label: 'CDN bandwidth', description: 'OnApp CDN traffic' },
  { value: 'usage', label: 'Usage', description: 'Pulse request logs and statistics' },
];

/** Picks the query type, then shows that type's editor and the options every type shares. */
export function QueryEditor({ query: stored, datasource, onChange, onRunQuery }: Props) {
  const query = withDefaults(stored);

  const onQueryTypeChange = (queryType: QueryType) => {
    if (queryType === query.queryType) {
      return;
    }
    const { refId, datasource: ref, hide } = query;
    const next = { ...defaultQueryFor(queryType), refId, ...(ref && { datasource: ref }), ...(hide && { hide }) };
    onChange(next as ServiceStatsQuery);
    onRunQuery();
  };

  const onNoCacheChange = (noCache: boolean) => {
    const { noCache: _old, ...rest } = query;
    onChange(noCache ? { ...query, noCache } : rest);
    onRunQuery();
  };

  return (
    <EditorRows>
      <EditorRow>
        <EditorField label="Query type">
          <RadioButtonGroup<QueryType>
            options={QUERY_TYPE_OPTIONS}
            value={query.queryType}
            onChange={onQueryTypeChange}
          />
        </EditorField>
      </EditorRow>
      <TypeEditor query={query} datasource={datasource} onChange={onChange} onRunQuery={onRunQuery} />
      <EditorRow>
        {/* Collapsed, as Grafana's own editors keep their options; the summary says what is set. */}
        <QueryOptionGroup title="Options" collapsedInfo={[query.noCache ? 'Cache: bypassed' : 'Cache: used']}>
          <EditorField
            label="Bypass cache"
            tooltip="Ask the upstream API even when the plugin holds a recent answer."
            htmlFor="servicestats-no-cache"
          >
            <EditorSwitch
              id="servicestats-no-cache"
              data-testid={Selectors.QueryEditor.noCache}
              value={Boolean(query.noCache)}
              onChange={(event) => onNoCacheChange(event.currentTarget.checked)}
            />
          </EditorField>
        </QueryOptionGroup>
      </EditorRow>
    </EditorRows>
  );
}

function TypeEditor({ query, ...props }: SubEditorProps<ServiceStatsQuery>) {
  switch (query.queryType) {
    case 'telephony':
      return <TelephonyQueryEditor query={query} {...props} />;
    case 'cdnBandwidth':
      return <CdnQueryEditor query={query} {...props} />;
    case 'usage':
      return <UsageQueryEditor query={query} {...props} />;
  }
}
