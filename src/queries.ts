import { DataQuery } from '@grafana/schema';

import {
  DEFAULT_QUERIES,
  DEFAULT_VARIABLE_QUERY,
  QUERY_TYPES,
  QueryModel,
  QueryOfType,
  QueryType,
  ServiceStatsQuery,
  TelephonyQuery,
  VariableQuery,
} from './types';

export function isQueryType(value: unknown): value is QueryType {
  return QUERY_TYPES.includes(value as QueryType);
}

/** A fresh copy of a query type's default model (arrays are not shared between queries). */
export function defaultQueryFor<T extends QueryType>(queryType: T): QueryModel<QueryOfType<T>> {
  const model = DEFAULT_QUERIES[queryType];
  const copy = Object.entries(model).map(([key, value]) => [key, Array.isArray(value) ? [...value] : value]);
  return Object.fromEntries(copy) as QueryModel<QueryOfType<T>>;
}

/**
 * Completes a stored query with its type's defaults, so that editors never meet a missing field
 * (hand-written or provisioned dashboards often omit some). A query without a known type becomes a
 * telephony query.
 */
export function withDefaults(query: DataQuery): ServiceStatsQuery {
  const queryType = isQueryType(query.queryType) ? query.queryType : 'telephony';
  return { ...defaultQueryFor(queryType), ...query, queryType } as ServiceStatsQuery;
}

/** Telephony needs an account, a line and a metric; the other types have defaults for everything. */
export function isRunnable(query: ServiceStatsQuery): boolean {
  if (query.hide) {
    return false;
  }
  return query.queryType === 'telephony' ? isCompleteTelephonyQuery(query) : true;
}

function isCompleteTelephonyQuery(query: TelephonyQuery): boolean {
  return Boolean(query.billingAccount?.trim()) && (query.lines?.length ?? 0) > 0 && (query.metrics?.length ?? 0) > 0;
}

/**
 * The model of a query variable as stored. A new variable's query may still be Grafana's empty
 * string, which lists billing accounts.
 */
export function toVariableQuery(stored: VariableQuery | string | undefined): VariableQuery {
  const fields = typeof stored === 'object' && stored !== null ? stored : {};
  return { refId: 'ServiceStatsVariableQuery', ...DEFAULT_VARIABLE_QUERY, ...fields };
}
