import { Field } from '@grafana/ui';
import React, { ReactNode } from 'react';

import { NumberInput } from '../IntegerInput';
import { INPUT_WIDTH, SectionProps, withJsonData } from './settings';

type NumberKey =
  | 'timeoutSeconds'
  | 'cacheTTLSeconds'
  | 'maxPages'
  | 'ovhRequestsPerMinute'
  | 'ovhAlertingShare'
  | 'maxResponseBytes'
  | 'sharedCacheReplicas';

interface Props extends SectionProps {
  setting: NumberKey;
  label: string;
  description?: ReactNode;
  placeholder?: string;
  min?: number;
  /** An exclusive upper bound. */
  below?: number;
  /** A decimal number rather than an integer. */
  decimal?: boolean;
  testId: string;
}

/**
 * An optional integer (or, with `decimal`, decimal) setting of `jsonData`: empty leaves it unset, so
 * the backend's default applies.
 */
export function NumberField({
  options,
  onOptionsChange,
  setting,
  label,
  description,
  placeholder,
  min,
  below,
  decimal,
  testId,
}: Props) {
  const id = `servicestats-${setting}`;
  return (
    <Field label={label} description={description} htmlFor={id}>
      <NumberInput
        id={id}
        data-testid={testId}
        width={INPUT_WIDTH / 3}
        placeholder={placeholder}
        min={min}
        below={below}
        decimal={decimal}
        value={options.jsonData[setting]}
        live
        onCommit={(value) => onOptionsChange(withJsonData(options, { [setting]: value }))}
      />
    </Field>
  );
}
