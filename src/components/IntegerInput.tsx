import { Input } from '@grafana/ui';
import React, { ComponentProps, useState } from 'react';

type InputProps = Omit<
  ComponentProps<typeof Input>,
  'value' | 'onChange' | 'onBlur' | 'onKeyDown' | 'type' | 'min' | 'max'
>;

interface Props extends InputProps {
  value: number | undefined;
  /** Called with the parsed number, or `undefined` when the input is empty. */
  onCommit: (value: number | undefined) => void;
  min?: number;
  max?: number;
  /** An exclusive upper bound (a share below 1, say). */
  below?: number;
  /** Accept decimals such as 0.25 (NumberInput only). */
  decimal?: boolean;
  /** Commit on every keystroke (settings) instead of on blur and Enter (queries, which then run). */
  live?: boolean;
}

/** `undefined` for an empty text, `null` for a text that is not an integer. */
export function parseInteger(text: string): number | undefined | null {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  return /^-?\d+$/.test(trimmed) ? parseInt(trimmed, 10) : null;
}

/** `undefined` for an empty text, `null` for a text that is not a decimal number (`0.5`, `.5`, `1`). */
export function parseDecimal(text: string): number | undefined | null {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  return /^-?(\d+\.?\d*|\.\d+)$/.test(trimmed) ? parseFloat(trimmed) : null;
}

function format(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

/**
 * A text input for an optional integer: empty means unset; anything else must be an integer within
 * bounds, or it is flagged and not committed.
 */
export function IntegerInput(props: Omit<Props, 'decimal'>) {
  return <NumberInput {...props} />;
}

/** IntegerInput, or with `decimal` a text input for an optional decimal number within bounds. */
export function NumberInput({ value, onCommit, min, max, below, decimal = false, live = false, ...inputProps }: Props) {
  const parse = decimal ? parseDecimal : parseInteger;
  const [text, setText] = useState(format(value));
  const [shownValue, setShownValue] = useState(value);

  // Follow changes made elsewhere (another editor, a default) without clobbering what is being typed.
  if (value !== shownValue) {
    setShownValue(value);
    if (parse(text) !== value) {
      setText(format(value));
    }
  }

  const isValid = (parsed: number | undefined | null): parsed is number | undefined =>
    parsed === undefined ||
    (parsed !== null &&
      (min === undefined || parsed >= min) &&
      (max === undefined || parsed <= max) &&
      (below === undefined || parsed < below));

  const commit = (nextText: string) => {
    const parsed = parse(nextText);
    if (isValid(parsed) && parsed !== value) {
      onCommit(parsed);
    }
  };

  return (
    <Input
      {...inputProps}
      inputMode={decimal ? 'decimal' : 'numeric'}
      value={text}
      invalid={!isValid(parse(text)) || inputProps.invalid}
      onChange={(event) => {
        setText(event.currentTarget.value);
        if (live) {
          commit(event.currentTarget.value);
        }
      }}
      onBlur={() => commit(text)}
      onKeyDown={(event) => {
        if (event.key === 'Enter') {
          commit(text);
        }
      }}
    />
  );
}
