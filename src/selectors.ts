/** Test ids of one source's TLS part of the config editor. */
function tlsIds<S extends string>(source: S) {
  const prefix = `servicestats-config-${source}-tls` as const;
  return {
    section: prefix,
    skipVerify: `${prefix}-skip-verify`,
    skipVerifyWarning: `${prefix}-skip-verify-warning`,
    withCACert: `${prefix}-with-ca-cert`,
    caCert: `${prefix}-ca-cert`,
    clientAuth: `${prefix}-client-auth`,
    clientCert: `${prefix}-client-cert`,
    clientKey: `${prefix}-client-key`,
  } as const;
}

/**
 * Test ids of the plugin's editors, for unit and end-to-end tests. None for a RadioButtonGroup: Grafana
 * 12.3's drops data-testid, so tests find its options by label.
 */
export const Selectors = {
  ConfigEditor: {
    ovh: {
      endpoint: 'servicestats-config-ovh-endpoint',
      customUrl: 'servicestats-config-ovh-custom-url',
      oauth2Warning: 'servicestats-config-ovh-oauth2-warning',
      applicationKey: 'servicestats-config-ovh-application-key',
      applicationSecret: 'servicestats-config-ovh-application-secret',
      consumerKey: 'servicestats-config-ovh-consumer-key',
      clientId: 'servicestats-config-ovh-client-id',
      clientSecret: 'servicestats-config-ovh-client-secret',
      tokenUrl: 'servicestats-config-ovh-token-url',
      tls: tlsIds('ovh'),
    },
    onapp: {
      url: 'servicestats-config-onapp-url',
      user: 'servicestats-config-onapp-user',
      apiKey: 'servicestats-config-onapp-api-key',
      timeZone: 'servicestats-config-onapp-time-zone',
      tls: tlsIds('onapp'),
    },
    pulse: {
      url: 'servicestats-config-pulse-url',
      token: 'servicestats-config-pulse-token',
      tls: tlsIds('pulse'),
    },
    secureSocksProxy: 'servicestats-config-secure-socks-proxy',
    advanced: {
      timeoutSeconds: 'servicestats-config-timeout-seconds',
      cacheTTLSeconds: 'servicestats-config-cache-ttl-seconds',
      maxPages: 'servicestats-config-max-pages',
      ovhRequestsPerMinute: 'servicestats-config-ovh-requests-per-minute',
      ovhAlertingShare: 'servicestats-config-ovh-alerting-share',
      maxResponseBytes: 'servicestats-config-max-response-bytes',
    },
  },
  QueryEditor: {
    noCache: 'servicestats-query-no-cache',
    telephony: {
      billingAccount: 'servicestats-query-telephony-billing-account',
      lines: 'servicestats-query-telephony-lines',
      metrics: 'servicestats-query-telephony-metrics',
      timeframe: 'servicestats-query-telephony-timeframe',
    },
    cdn: {
      resources: 'servicestats-query-cdn-resources',
      locations: 'servicestats-query-cdn-locations',
    },
    usage: {
      report: 'servicestats-query-usage-report',
      enterprise: 'servicestats-query-usage-enterprise',
      limit: 'servicestats-query-usage-limit',
      topN: 'servicestats-query-usage-top-n',
    },
  },
  VariableQueryEditor: {
    kind: 'servicestats-variable-kind',
    billingAccount: 'servicestats-variable-billing-account',
  },
} as const;
