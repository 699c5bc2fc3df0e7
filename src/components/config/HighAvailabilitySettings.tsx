import { ConfigSection } from '@grafana/plugin-ui';
import React from 'react';

import { NumberField } from './NumberField';
import { SecretField } from './SecretField';
import { SectionProps } from './settings';
import { TextField } from './TextField';
import { redisUrlProblem } from './validation';

/** Test ids of the high-availability part of the config editor. */
export const haIds = {
  sharedCacheUrl: 'servicestats-config-ha-shared-cache-url',
  sharedCachePassword: 'servicestats-config-ha-shared-cache-password',
  sharedCacheReplicas: 'servicestats-config-ha-shared-cache-replicas',
} as const;

/**
 * Grafana in high availability: the Redis every replica's plugin process shares for the answer cache, the
 * coalescing of identical calls and the OVHcloud rate guard. Collapsed unless a URL is set.
 */
export function HighAvailabilitySettings(props: SectionProps) {
  const { jsonData, secureJsonFields } = props.options;
  const url = jsonData.sharedCacheUrl ?? '';
  return (
    <ConfigSection
      title="High availability"
      description="For Grafana running as several replicas: one cache and one OVHcloud budget for all of them, in Redis. Leave the URL empty with a single Grafana."
      isCollapsible
      isInitiallyOpen={url !== '' || Boolean(secureJsonFields?.sharedCachePassword)}
    >
      <TextField
        {...props}
        setting="sharedCacheUrl"
        label="Shared cache URL"
        description="Redis URL such as redis://redis:6379/0 (rediss:// for TLS). While Redis is unreachable, each replica answers from its own cache."
        placeholder="redis://redis:6379/0"
        testId={haIds.sharedCacheUrl}
        check={redisUrlProblem}
      />
      <SecretField
        {...props}
        secret="sharedCachePassword"
        label="Shared cache password"
        description="The Redis password (AUTH), if Redis asks for one."
        testId={haIds.sharedCachePassword}
      />
      <NumberField
        {...props}
        setting="sharedCacheReplicas"
        min={1}
        label="Grafana replicas"
        description="How many replicas share the Redis: while it is unreachable, each guards OVHcloud at the requests per minute divided by this."
        placeholder="3"
        testId={haIds.sharedCacheReplicas}
      />
    </ConfigSection>
  );
}
