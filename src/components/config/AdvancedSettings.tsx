import { ConfigSection } from '@grafana/plugin-ui';
import React from 'react';

import { Selectors } from '../../selectors';
import { NumberField } from './NumberField';
import { SectionProps } from './settings';

const ids = Selectors.ConfigEditor.advanced;

/** Tuning shared by the three sources; every value is optional (the placeholders are the defaults). */
export function AdvancedSettings(props: SectionProps) {
  const { jsonData } = props.options;
  const anySet = [
    jsonData.timeoutSeconds,
    jsonData.cacheTTLSeconds,
    jsonData.maxPages,
    jsonData.ovhRequestsPerMinute,
    jsonData.ovhAlertingShare,
    jsonData.maxResponseBytes,
  ].some((value) => value !== undefined);
  return (
    <ConfigSection
      title="Advanced"
      description="Timeouts, caching and limits. Leave a field empty to keep its default."
      isCollapsible
      isInitiallyOpen={anySet}
    >
      <NumberField
        {...props}
        setting="timeoutSeconds"
        min={1}
        label="Timeout (seconds)"
        description="Bounds one call to an upstream API."
        placeholder="30"
        testId={ids.timeoutSeconds}
      />
      <NumberField
        {...props}
        setting="cacheTTLSeconds"
        min={0}
        label="Cache lifetime (seconds)"
        description="How long answers are reused; empty keeps each source's own lifetime, 0 turns the cache off."
        placeholder="per source"
        testId={ids.cacheTTLSeconds}
      />
      <NumberField
        {...props}
        setting="maxPages"
        min={1}
        label="Max pages"
        description="Pages read at most for one paginated Pulse report."
        placeholder="200"
        testId={ids.maxPages}
      />
      <NumberField
        {...props}
        setting="ovhRequestsPerMinute"
        min={1}
        label="OVHcloud requests per minute"
        description="Rate guard per OVHcloud credential."
        placeholder="60"
        testId={ids.ovhRequestsPerMinute}
      />
      <NumberField
        {...props}
        setting="ovhAlertingShare"
        decimal
        min={0}
        below={1}
        label="OVHcloud share kept for alerting"
        description="Share of the requests per minute reserved for alert rule evaluations, from 0 (none) to below 1; dashboards cannot use it."
        placeholder="0.5"
        testId={ids.ovhAlertingShare}
      />
      <NumberField
        {...props}
        setting="maxResponseBytes"
        min={1}
        label="Max answer size (bytes)"
        description="Size cap of one upstream answer; a larger one fails with a clear error."
        placeholder="67108864"
        testId={ids.maxResponseBytes}
      />
    </ConfigSection>
  );
}
