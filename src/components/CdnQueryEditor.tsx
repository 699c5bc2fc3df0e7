import { SelectableValue } from '@grafana/data';
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { MultiCombobox, RadioButtonGroup } from '@grafana/ui';
import React from 'react';

import { Selectors } from '../selectors';
import { CdnBandwidthQuery, CdnGroupBy, CdnType } from '../types';
import { SubEditorProps, useCommit, useVariableOptions } from './editorProps';
import { selectedOptions, valuesOf, withVariables } from './selectValues';
import { useResourceOptions } from './useResourceOptions';

const ids = Selectors.QueryEditor.cdn;

const TYPE_OPTIONS: Array<SelectableValue<CdnType>> = [
  { value: 'GB', label: 'Traffic (GB)', description: 'Data transferred per interval' },
  { value: 'MBPS', label: 'Bandwidth (Mbit/s)', description: 'Average throughput per interval' },
];

const GROUP_BY_OPTIONS: Array<SelectableValue<CdnGroupBy>> = [
  { value: '', label: 'None' },
  { value: 'location', label: 'Location' },
  { value: 'resource', label: 'Resource' },
];

/** CDN bandwidth (OnApp): unit, grouping, and optional resource and location filters. */
export function CdnQueryEditor(props: SubEditorProps<CdnBandwidthQuery>) {
  const { query, datasource } = props;
  const commit = useCommit(props);
  const variables = useVariableOptions();
  const resources = useResourceOptions(datasource, 'cdn/resources');
  const locations = useResourceOptions(datasource, 'cdn/locations');
  const resourceOptions = withVariables(resources.options, variables);
  const locationOptions = withVariables(locations.options, variables);

  return (
    <>
      <EditorRow>
        <EditorFieldGroup>
          <EditorField label="Type">
            <RadioButtonGroup<CdnType>
              options={TYPE_OPTIONS}
              value={query.type}
              onChange={(type) => commit({ type })}
            />
          </EditorField>
          <EditorField
            label="Group by"
            tooltip="One series per location or per resource, each split by cached and non-cached traffic."
          >
            <RadioButtonGroup<CdnGroupBy>
              options={GROUP_BY_OPTIONS}
              value={query.groupBy}
              onChange={(groupBy) => commit({ groupBy })}
            />
          </EditorField>
        </EditorFieldGroup>
      </EditorRow>
      <EditorRow>
        <EditorFieldGroup>
          <EditorField label="Resources" invalid={Boolean(resources.error)} error={resources.error}>
            <MultiCombobox
              id="servicestats-cdn-resources"
              data-testid={ids.resources}
              width="auto"
              minWidth={30}
              maxWidth={80}
              options={resourceOptions}
              value={selectedOptions(query.resources, resourceOptions)}
              loading={resources.loading}
              createCustomValue
              placeholder="All resources"
              onChange={(selection) => commit({ resources: valuesOf(selection) })}
            />
          </EditorField>
          <EditorField label="Locations" invalid={Boolean(locations.error)} error={locations.error}>
            <MultiCombobox
              id="servicestats-cdn-locations"
              data-testid={ids.locations}
              width="auto"
              minWidth={30}
              maxWidth={80}
              options={locationOptions}
              value={selectedOptions(query.locations, locationOptions)}
              loading={locations.loading}
              createCustomValue
              placeholder="All locations"
              onChange={(selection) => commit({ locations: valuesOf(selection) })}
            />
          </EditorField>
        </EditorFieldGroup>
      </EditorRow>
    </>
  );
}
