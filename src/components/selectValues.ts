import type { ComboboxOption } from '@grafana/ui';

/**
 * The option shown for a stored value. A value missing from the options (free text, a template
 * variable, or an option list not loaded yet) is shown as itself.
 */
export function selectedOption<T extends string>(
  value: T | undefined,
  options: Array<ComboboxOption<T>>
): ComboboxOption<T> | null {
  if (value === undefined || value === '') {
    return null;
  }
  return options.find((option) => option.value === value) ?? { value, label: value };
}

export function selectedOptions<T extends string>(
  values: readonly T[],
  options: Array<ComboboxOption<T>>
): Array<ComboboxOption<T>> {
  return values.map((value) => options.find((option) => option.value === value) ?? { value, label: value });
}

/** The values of a multi-select's answer, without empty ones. */
export function valuesOf<T extends string>(selection: Array<ComboboxOption<T>>): T[] {
  return selection.flatMap((option) => (option.value === '' ? [] : [option.value]));
}

/** Options, then the template variables not already among them. */
export function withVariables(
  options: Array<ComboboxOption<string>>,
  variables: Array<ComboboxOption<string>>
): Array<ComboboxOption<string>> {
  return [...options, ...variables.filter((variable) => !options.some((option) => option.value === variable.value))];
}

/**
 * A Combobox change handler that only passes on real selections: Combobox reports `undefined` when
 * Enter is pressed with nothing highlighted, even when it is not clearable.
 */
export function whenSelected<T extends string | number>(handler: (value: T) => void) {
  return (option: ComboboxOption<T> | null | undefined) => {
    if (option) {
      handler(option.value);
    }
  };
}
