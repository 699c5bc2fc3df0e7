import { CoreApp, DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend } from '@grafana/runtime';

import { interpolateCsv, interpolateList, interpolateValue } from './templating';
import { defaultQueryFor, isRunnable } from './queries';
import {
  ResourceOption,
  ResourceParams,
  ResourcePath,
  ServiceStatsOptions,
  ServiceStatsQuery,
  TelephonyQuery,
  VARIABLE_KIND_PATHS,
  VariableQuery,
} from './types';
import { ServiceStatsVariableSupport } from './variables';

export class DataSource extends DataSourceWithBackend<ServiceStatsQuery, ServiceStatsOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<ServiceStatsOptions>) {
    super(instanceSettings);
    this.variables = new ServiceStatsVariableSupport(this);
  }

  getDefaultQuery(_app: CoreApp): Partial<ServiceStatsQuery> {
    return defaultQueryFor('telephony');
  }

  filterQuery(query: ServiceStatsQuery): boolean {
    return isRunnable(query);
  }

  applyTemplateVariables(query: ServiceStatsQuery, scopedVars: ScopedVars): ServiceStatsQuery {
    switch (query.queryType) {
      case 'telephony':
        return {
          ...query,
          // A multi-value variable becomes "a,b": one query reads each of its accounts.
          billingAccount: interpolateCsv(query.billingAccount, scopedVars),
          lines: interpolateList(query.lines, scopedVars),
          // The backend rejects a value that is not one of the four metrics, naming it.
          metrics: interpolateList(query.metrics, scopedVars) as TelephonyQuery['metrics'],
        };
      case 'cdnBandwidth':
        return {
          ...query,
          resources: interpolateList(query.resources, scopedVars),
          locations: interpolateList(query.locations, scopedVars),
        };
      case 'usage':
        return { ...query, enterpriseId: interpolateValue(query.enterpriseId, scopedVars) };
      default:
        return query;
    }
  }

  /**
   * Lists the values a drop-down or a variable offers, from one of the backend's resource routes.
   * Template variables in the parameters (e.g. `billingAccount=$ba`) are interpolated first, a
   * multi-value one as its values separated by commas.
   */
  async fetchOptions(
    path: ResourcePath,
    params: ResourceParams = {},
    scopedVars?: ScopedVars
  ): Promise<ResourceOption[]> {
    const answer: unknown = await this.getResource(path, interpolateParams(params, scopedVars));
    return toResourceOptions(answer);
  }

  /** The values of a query variable: the resource route matching its kind. */
  fetchVariableOptions(query: VariableQuery, scopedVars?: ScopedVars): Promise<ResourceOption[]> {
    const params: ResourceParams = query.kind === 'lines' ? { billingAccount: query.billingAccount } : {};
    return this.fetchOptions(VARIABLE_KIND_PATHS[query.kind], params, scopedVars);
  }
}

function interpolateParams(params: ResourceParams, scopedVars?: ScopedVars): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const interpolated = interpolateCsv(value, scopedVars);
    if (interpolated !== '') {
      out[key] = interpolated;
    }
  }
  return out;
}

/** Keeps the well-formed entries of a resource answer; `text` falls back to `value`. */
function toResourceOptions(answer: unknown): ResourceOption[] {
  if (!Array.isArray(answer)) {
    return [];
  }
  return answer.flatMap((item: Partial<ResourceOption> | null) => {
    if (item === null || typeof item !== 'object' || typeof item.value !== 'string') {
      return [];
    }
    const option: ResourceOption = {
      value: item.value,
      text: typeof item.text === 'string' && item.text ? item.text : item.value,
    };
    if (typeof item.description === 'string' && item.description) {
      option.description = item.description;
    }
    return [option];
  });
}
