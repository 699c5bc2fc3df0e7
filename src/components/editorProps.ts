import { useMemo } from 'react';

import { variableOptions } from '../templating';
import { ServiceStatsQuery } from '../types';
import { OptionsSource } from './useResourceOptions';

/** The props of one query type's editor. */
export interface SubEditorProps<Q extends ServiceStatsQuery> {
  query: Q;
  datasource: OptionsSource;
  onChange: (query: Q) => void;
  onRunQuery: () => void;
}

/** Applies a patch to the query and runs it: every change an editor makes is a committed one. */
export function useCommit<Q extends ServiceStatsQuery>({ query, onChange, onRunQuery }: SubEditorProps<Q>) {
  return (patch: Partial<Q>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };
}

/** The dashboard's template variables as `$name` options (read once per editor). */
export function useVariableOptions() {
  return useMemo(() => variableOptions(), []);
}
