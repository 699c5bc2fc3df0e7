/**
 * The plugin's public contract: data-source settings and query models.
 *
 * Mirrors pkg/models/query.go (queries) and pkg/models/settings.go (settings) by hand: change both
 * together, with a CHANGELOG entry, since users write these names into provisioning files,
 * dashboards and alert rules. See /docs/plugin-contract.md.
 */
import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** A template-variable reference such as `$line` or `${line}`, allowed wherever a value is. */
export type VariableRef = `$${string}`;

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/** `queryType` picks the upstream source. */
export type QueryType = 'telephony' | 'cdnBandwidth' | 'usage';

export const QUERY_TYPES: readonly QueryType[] = ['telephony', 'cdnBandwidth', 'usage'];

/** Options every query type shares. */
interface CommonQuery extends DataQuery {
  /** Bypass the plugin's answer cache for this query. */
  noCache?: boolean;
}

export type TelephonyMetric = 'maxDelay' | 'maxJitter' | 'rtpMos' | 'sumRtpLost';
export const TELEPHONY_METRICS: readonly TelephonyMetric[] = ['maxDelay', 'maxJitter', 'rtpMos', 'sumRtpLost'];

/** `auto` picks the smallest OVHcloud window covering the dashboard's time range. */
export type Timeframe = 'auto' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';
export const TIMEFRAMES: readonly Timeframe[] = ['auto', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'];

/** `raw` is 0–5000 as OVHcloud sends it; `mos` is the 1–5 scale. */
export type MosScale = 'raw' | 'mos';

/**
 * The value of `billingAccount`, or the one entry of `lines`, that means every billing account the
 * credential sees, or every line of the account(s), as listed when the query runs (pkg/models All).
 */
export const ALL = '*';

/** Telephony QoS (OVHcloud). */
export interface TelephonyQuery extends CommonQuery {
  queryType: 'telephony';
  /**
   * One account, `*` for every account, or several separated by commas (a multi-value variable is
   * interpolated so; the backend also reads Grafana's default `{a,b}`).
   */
  billingAccount: string;
  /** One or more line service names, or `['*']` for every line; multi-value variables expand here. */
  lines: string[];
  metrics: Array<TelephonyMetric | VariableRef>;
  timeframe: Timeframe;
  mosScale: MosScale;
}

export type CdnType = 'GB' | 'MBPS';
export type CdnGroupBy = '' | 'location' | 'resource';

/** CDN bandwidth (OnApp). */
export interface CdnBandwidthQuery extends CommonQuery {
  queryType: 'cdnBandwidth';
  type: CdnType;
  groupBy: CdnGroupBy;
  /** CDN references; empty = all. */
  resources: string[];
  /** Edge location ids; empty = all. */
  locations: string[];
}

/** Pulse's own reports, then the two series the plugin derives from the logs. */
export type UsageReport = 'logs' | 'requests' | 'complexity' | 'devices' | 'routes' | 'requestRate' | 'latency';
export const USAGE_REPORTS: readonly UsageReport[] = [
  'logs',
  'requests',
  'complexity',
  'devices',
  'routes',
  'requestRate',
  'latency',
];
/** Reports answered as `numeric-long` tables, where `topN` applies. */
export const AGGREGATE_REPORTS: readonly UsageReport[] = ['requests', 'complexity', 'devices', 'routes'];
/** Series derived from the logs per query interval, where `splitBy` applies. */
export const DERIVED_REPORTS: readonly UsageReport[] = ['requestRate', 'latency'];

export type UsageSplitBy = '' | 'route' | 'enterprise' | 'device';

/** Page-size bounds of the paginated Pulse calls (pkg/models DefaultUsageLimit, MaxUsageLimit). */
export const DEFAULT_USAGE_LIMIT = 500;
export const MAX_USAGE_LIMIT = 5000;

/** Usage (Pulse). */
export interface UsageQuery extends CommonQuery {
  queryType: 'usage';
  report: UsageReport;
  /** Optional enterprise filter; empty = all. */
  enterpriseId: string;
  /** Page size of the paginated calls. */
  limit: number;
  /** Aggregates only: keep the N largest rows (unset or 0 = all). */
  topN?: number;
  /** Derived series only (`requestRate`, `latency`): one series per route, enterprise or device. */
  splitBy?: UsageSplitBy;
}

export type ServiceStatsQuery = TelephonyQuery | CdnBandwidthQuery | UsageQuery;

/** The query model of one query type. */
export type QueryOfType<T extends QueryType> = Extract<ServiceStatsQuery, { queryType: T }>;

/** A query's fields without Grafana's own (`refId`, `datasource`, …). */
export type QueryModel<Q extends ServiceStatsQuery> = Omit<Q, 'refId'>;

export const DEFAULT_TELEPHONY_QUERY: QueryModel<TelephonyQuery> = {
  queryType: 'telephony',
  billingAccount: '',
  lines: [],
  metrics: ['rtpMos'],
  timeframe: 'auto',
  mosScale: 'raw',
};

export const DEFAULT_CDN_QUERY: QueryModel<CdnBandwidthQuery> = {
  queryType: 'cdnBandwidth',
  type: 'GB',
  groupBy: '',
  resources: [],
  locations: [],
};

export const DEFAULT_USAGE_QUERY: QueryModel<UsageQuery> = {
  queryType: 'usage',
  report: 'requests',
  enterpriseId: '',
  limit: DEFAULT_USAGE_LIMIT,
};

export const DEFAULT_QUERIES: { [T in QueryType]: QueryModel<QueryOfType<T>> } = {
  telephony: DEFAULT_TELEPHONY_QUERY,
  cdnBandwidth: DEFAULT_CDN_QUERY,
  usage: DEFAULT_USAGE_QUERY,
};

// ---------------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------------

export type VariableQueryKind =
  'billingAccounts' | 'lines' | 'metrics' | 'cdnResources' | 'cdnLocations' | 'enterprises' | 'devices' | 'routes';

/** The model of a query variable; `billingAccount` is used by `lines` only. */
export interface VariableQuery extends DataQuery {
  kind: VariableQueryKind;
  billingAccount?: string;
}

export const DEFAULT_VARIABLE_QUERY: Omit<VariableQuery, 'refId'> = { kind: 'billingAccounts' };

// ---------------------------------------------------------------------------------------------
// Resources (CallResource)
// ---------------------------------------------------------------------------------------------

/** The resource routes the backend serves; each answers `ResourceOption[]` sorted by text. */
export type ResourcePath =
  | 'telephony/billing-accounts'
  | 'telephony/lines'
  | 'telephony/metrics'
  | 'cdn/resources'
  | 'cdn/locations'
  | 'usage/enterprises'
  | 'usage/devices'
  | 'usage/routes';

/** Query parameters of a resource call (template variables allowed); empty values are left out. */
export type ResourceParams = Record<string, string | undefined>;

export interface ResourceOption {
  value: string;
  text: string;
  description?: string;
}

/** The resource each variable kind lists. */
export const VARIABLE_KIND_PATHS: Record<VariableQueryKind, ResourcePath> = {
  billingAccounts: 'telephony/billing-accounts',
  lines: 'telephony/lines',
  metrics: 'telephony/metrics',
  cdnResources: 'cdn/resources',
  cdnLocations: 'cdn/locations',
  enterprises: 'usage/enterprises',
  devices: 'usage/devices',
  routes: 'usage/routes',
};

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/** The named OVHcloud API endpoints (as go-ovh names them). */
export type OvhEndpointName =
  'ovh-eu' | 'ovh-ca' | 'ovh-us' | 'kimsufi-eu' | 'kimsufi-ca' | 'soyoustart-eu' | 'soyoustart-ca';

export const OVH_ENDPOINTS: Record<OvhEndpointName, string> = {
  'ovh-eu': 'https://eu.api.ovh.com/1.0',
  'ovh-ca': 'https://ca.api.ovh.com/1.0',
  'ovh-us': 'https://api.us.ovhcloud.com/1.0',
  'kimsufi-eu': 'https://eu.api.kimsufi.com/1.0',
  'kimsufi-ca': 'https://ca.api.kimsufi.com/1.0',
  'soyoustart-eu': 'https://eu.api.soyoustart.com/1.0',
  'soyoustart-ca': 'https://ca.api.soyoustart.com/1.0',
};

/** Endpoints where OVHcloud offers OAuth2 service accounts (a custom URL may too). */
export const OVH_OAUTH2_ENDPOINTS: readonly OvhEndpointName[] = ['ovh-eu', 'ovh-ca', 'ovh-us'];

export type OvhAuthMethod = 'keys' | 'oauth2';
export type OnAppApi = 'legacy' | 'reports';

/** The answer format asked of OnApp (jsonData `onappFormat`). */
export type OnAppFormat = 'json' | 'xml';

/** The data source's `jsonData`. Every source is optional. */
export interface ServiceStatsOptions extends DataSourceJsonData {
  /** A named endpoint (`ovh-eu`, …) or a full base URL. */
  ovhEndpoint?: string;
  ovhAuthMethod?: OvhAuthMethod;
  ovhApplicationKey?: string;
  ovhClientId?: string;
  /** OAuth2 token URL, for a custom base URL only. */
  ovhTokenUrl?: string;
  onappUrl?: string;
  onappUser?: string;
  /** `legacy` = /cdn_resources/bandwidth (OnApp ≤ 5.5), `reports` = /cdn/reports/bandwidth_statistics (5.6+). */
  onappApi?: OnAppApi;
  /** `json` (default) or `xml` answers from OnApp. */
  onappFormat?: OnAppFormat;
  /** IANA name of the time zone the OnApp server reads times in; default UTC. */
  onappTimeZone?: string;
  pulseUrl?: string;
  timeoutSeconds?: number;
  cacheTTLSeconds?: number;
  maxPages?: number;
  ovhRequestsPerMinute?: number;
  /**
   * Share of `ovhRequestsPerMinute` reserved for alert rule evaluations, 0 ≤ x < 1 (default 0.5;
   * 0 reserves nothing): dashboards cannot use it.
   */
  ovhAlertingShare?: number;
  /** Size cap of one upstream answer, in bytes (default 64 MiB). */
  maxResponseBytes?: number;

  // TLS per source (OVHcloud for a custom base URL only); the PEMs are in ServiceStatsSecureJsonData.
  /** Accept any certificate from the OVHcloud custom URL (testing only). */
  ovhTlsSkipVerify?: boolean;
  /** Verify the OVHcloud custom URL's certificate with `ovhTlsCACert` (instead of the system's CAs). */
  ovhTlsAuthWithCACert?: boolean;
  /** Present `ovhTlsClientCert` and `ovhTlsClientKey` to the OVHcloud custom URL. */
  ovhTlsAuth?: boolean;
  /** Accept any certificate from the OnApp control panel (testing only). */
  onappTlsSkipVerify?: boolean;
  /** Verify the OnApp control panel's certificate with `onappTlsCACert`. */
  onappTlsAuthWithCACert?: boolean;
  /** Present `onappTlsClientCert` and `onappTlsClientKey` to the OnApp control panel. */
  onappTlsAuth?: boolean;
  /** Accept any certificate from the Pulse server (testing only). */
  pulseTlsSkipVerify?: boolean;
  /** Verify the Pulse server's certificate with `pulseTlsCACert`. */
  pulseTlsAuthWithCACert?: boolean;
  /** Present `pulseTlsClientCert` and `pulseTlsClientKey` to the Pulse server. */
  pulseTlsAuth?: boolean;

  /** Reach every source through Grafana's Secure SOCKS proxy (private data source connect); the SDK's key. */
  enableSecureSocksProxy?: boolean;

  // High availability: Grafana's replicas share one cache, coalescing and OVHcloud rate guard through Redis.
  /** `redis://host:6379/0` (`rediss://` for TLS); empty keeps all of it in each replica's plugin process. */
  sharedCacheUrl?: string;
  /** How many Grafana replicas share the Redis (default 3): while it is unreachable, each guards OVHcloud at its share. */
  sharedCacheReplicas?: number;
}

/** The sources with TLS settings of their own: the `<source>` prefix of the TLS keys. */
export type TlsSource = 'ovh' | 'onapp' | 'pulse';

/** The data source's `secureJsonData` (write-only; Grafana sends back `secureJsonFields`). */
export interface ServiceStatsSecureJsonData {
  ovhApplicationSecret?: string;
  ovhConsumerKey?: string;
  ovhClientSecret?: string;
  onappApiKey?: string;
  pulseToken?: string;
  /** PEM of the CA that signs the OVHcloud custom URL's certificate (with `ovhTlsAuthWithCACert`). */
  ovhTlsCACert?: string;
  /** PEM of the client certificate presented to the OVHcloud custom URL (with `ovhTlsAuth`). */
  ovhTlsClientCert?: string;
  /** PEM of the client certificate's private key (with `ovhTlsAuth`). */
  ovhTlsClientKey?: string;
  onappTlsCACert?: string;
  onappTlsClientCert?: string;
  onappTlsClientKey?: string;
  pulseTlsCACert?: string;
  pulseTlsClientCert?: string;
  pulseTlsClientKey?: string;
  /** Password of the shared cache's Redis (with `sharedCacheUrl`). */
  sharedCachePassword?: string;
}
