import { ChangeEvent, KeyboardEvent, useState } from 'react';

/** What a number field accepts: bounds, and whether decimals are allowed. */
export interface NumberBounds {
  min?: number;
  max?: number;
  /** An exclusive upper bound (a share below 1, say). */
  below?: number;
  /** Accept decimals such as 0.25; otherwise whole numbers only. */
  decimal?: boolean;
}

interface Options extends NumberBounds {
  value: number | undefined;
  /** Called with the parsed number, or `undefined` when the input is empty. */
  onCommit: (value: number | undefined) => void;
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

/** What the field accepts, in words: "A whole number from 1 to 5000", "A number from 0 to below 1". */
export function describeBounds({ min, max, below, decimal }: NumberBounds): string {
  const kind = decimal ? 'A number' : 'A whole number';
  if (min !== undefined && max !== undefined) {
    return `${kind} from ${min} to ${max}`;
  }
  if (min !== undefined && below !== undefined) {
    return `${kind} from ${min} to below ${below}`;
  }
  if (min !== undefined) {
    return `${kind}, ${min} or more`;
  }
  if (max !== undefined) {
    return `${kind}, ${max} or less`;
  }
  if (below !== undefined) {
    return `${kind} below ${below}`;
  }
  return kind;
}

/**
 * Why a text is not accepted (`undefined`: it is, an empty text included, which means unset): the text
 * shown under the red field.
 */
export function numberProblem(text: string, bounds: NumberBounds): string | undefined {
  const parsed = (bounds.decimal ? parseDecimal : parseInteger)(text);
  if (parsed === undefined) {
    return undefined;
  }
  const { min, max, below } = bounds;
  const inBounds =
    parsed !== null &&
    (min === undefined || parsed >= min) &&
    (max === undefined || parsed <= max) &&
    (below === undefined || parsed < below);
  return inBounds ? undefined : `${describeBounds(bounds)}, or empty for the default`;
}

function format(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

/**
 * The state of a text input for an optional number: empty means unset; anything else must be a number
 * within bounds, or it is flagged (`problem`, for the field's error text) and not committed. Spread
 * `inputProps` on an @grafana/ui Input inside a Field/EditorField given `invalid={Boolean(problem)}`
 * and `error={problem}`.
 */
export function useNumberInput({ value, onCommit, live = false, ...bounds }: Options) {
  const parse = bounds.decimal ? parseDecimal : parseInteger;
  const [text, setText] = useState(format(value));
  const [shownValue, setShownValue] = useState(value);

  // Follow changes made elsewhere (another editor, a default) without clobbering what is being typed.
  if (value !== shownValue) {
    setShownValue(value);
    if (parse(text) !== value) {
      setText(format(value));
    }
  }

  const commit = (nextText: string) => {
    if (numberProblem(nextText, bounds) !== undefined) {
      return;
    }
    const parsed = parse(nextText) ?? undefined;
    if (parsed !== value) {
      onCommit(parsed);
    }
  };

  const problem = numberProblem(text, bounds);
  return {
    problem,
    inputProps: {
      inputMode: bounds.decimal ? ('decimal' as const) : ('numeric' as const),
      value: text,
      invalid: problem !== undefined,
      onChange: (event: ChangeEvent<HTMLInputElement>) => {
        setText(event.currentTarget.value);
        if (live) {
          commit(event.currentTarget.value);
        }
      },
      onBlur: () => commit(text),
      onKeyDown: (event: KeyboardEvent<HTMLInputElement>) => {
        if (event.key === 'Enter') {
          commit(text);
        }
      },
    },
  };
}
