import { useCallback, useLayoutEffect, useMemo, useRef } from 'react';

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

/** A patch of the query, or the next query computed from the latest one (undefined: no change). */
export type QueryChange<Q> = Partial<Q> | ((latest: Q) => Q | undefined);

/**
 * Applies a change to the latest query and runs it: every change an editor makes is a committed one.
 *
 * "Latest" includes a change committed but not rendered yet, and a change that changes nothing is
 * dropped. @grafana/ui's Combobox (downshift) replays a selection with the change handler of the
 * render it was made in whenever React recomputes its state; if the host keeps re-rendering before
 * the last change is rendered (a query run answered at once), committing the stale handler's query
 * again each time never ends ("Maximum update depth exceeded").
 */
export function useCommit<Q extends ServiceStatsQuery>({ query, onChange, onRunQuery }: SubEditorProps<Q>) {
  const latest = useRef(query);
  const rendered = useRef(JSON.stringify(query));
  const handlers = useRef({ onChange, onRunQuery });
  // Before any passive effect (downshift calls its handlers from one) sees this render.
  useLayoutEffect(() => {
    handlers.current = { onChange, onRunQuery };
    const renderedNow = JSON.stringify(query);
    if (renderedNow !== rendered.current) {
      rendered.current = renderedNow;
      latest.current = query;
    }
  });
  return useCallback((change: QueryChange<Q>) => {
    const current = latest.current;
    const next = typeof change === 'function' ? change(current) : { ...current, ...change };
    if (next === undefined || JSON.stringify(next) === JSON.stringify(current)) {
      return;
    }
    latest.current = next;
    handlers.current.onChange(next);
    handlers.current.onRunQuery();
  }, []);
}

/** The dashboard's template variables as `$name` options (read once per editor). */
export function useVariableOptions() {
  return useMemo(() => variableOptions(), []);
}
