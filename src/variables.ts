import { CustomVariableSupport, DataQueryRequest, DataQueryResponse, FieldType, createDataFrame } from '@grafana/data';
import { Observable, from, map } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { toVariableQuery } from './queries';
import { ResourceOption, VariableQuery } from './types';

/** Query variables: each kind lists one of the backend's resource routes. */
export class ServiceStatsVariableSupport extends CustomVariableSupport<DataSource, VariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<VariableQuery>): Observable<DataQueryResponse> {
    const query = toVariableQuery(request.targets[0]);
    return from(this.datasource.fetchVariableOptions(query, request.scopedVars)).pipe(
      map((options) => ({ data: [optionsFrame(options)] }))
    );
  }
}

/** A frame with `text` and `value` fields, which Grafana reads as MetricFindValues. */
export function optionsFrame(options: ResourceOption[]) {
  return createDataFrame({
    fields: [
      { name: 'text', type: FieldType.string, values: options.map((option) => option.text) },
      { name: 'value', type: FieldType.string, values: options.map((option) => option.value) },
    ],
  });
}
