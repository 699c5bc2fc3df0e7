import { Field, Input } from '@grafana/ui';
import React, { ReactNode } from 'react';

import { useNumberInput } from '../numberInput';
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
  const { problem, inputProps } = useNumberInput({
    min,
    below,
    decimal,
    value: options.jsonData[setting],
    live: true,
    onCommit: (value) => onOptionsChange(withJsonData(options, { [setting]: value })),
  });
  return (
    <Field label={label} description={description} htmlFor={id} invalid={problem !== undefined} error={problem}>
      <Input id={id} data-testid={testId} width={INPUT_WIDTH / 3} placeholder={placeholder} {...inputProps} />
    </Field>
  );
}
