import { Field, SecretInput, SecretTextArea } from '@grafana/ui';
import React, { ReactNode } from 'react';

import { INPUT_WIDTH, SecretKey, SectionProps, withoutSecret, withSecret } from './settings';

interface Props extends SectionProps {
  secret: SecretKey;
  label: string;
  description?: ReactNode;
  placeholder?: string;
  /** A multi-line secret, such as a PEM certificate or key. */
  multiline?: boolean;
  testId: string;
}

/** Rows and columns of a multi-line secret: enough to see a PEM's header and a few lines. */
const TEXT_AREA_ROWS = 6;
const TEXT_AREA_COLS = 64;

/** A write-only setting: shows "configured" with a Reset button once saved. */
export function SecretField({
  options,
  onOptionsChange,
  secret,
  label,
  description,
  placeholder,
  multiline,
  testId,
}: Props) {
  const id = `servicestats-${secret}`;
  const common = {
    id,
    'data-testid': testId,
    placeholder,
    isConfigured: Boolean(options.secureJsonFields?.[secret]),
    value: options.secureJsonData?.[secret] ?? '',
    onReset: () => onOptionsChange(withoutSecret(options, secret)),
  };
  return (
    <Field label={label} description={description} htmlFor={id}>
      {multiline ? (
        <SecretTextArea
          {...common}
          rows={TEXT_AREA_ROWS}
          cols={TEXT_AREA_COLS}
          spellCheck={false}
          onChange={(event) => onOptionsChange(withSecret(options, secret, event.currentTarget.value))}
        />
      ) : (
        <SecretInput
          {...common}
          width={INPUT_WIDTH}
          onChange={(event) => onOptionsChange(withSecret(options, secret, event.currentTarget.value))}
        />
      )}
    </Field>
  );
}
