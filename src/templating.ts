import { ScopedVars } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import type { ComboboxOption } from '@grafana/ui';

/** Joins the values of a multi-value variable; a control character never found in the values. */
const MULTI_VALUE_SEPARATOR = '\u0001';

/** `$name`, `${name}`, `${name:format}` or the deprecated `[[name]]`. */
const VARIABLE_PATTERN = /\$\w+|\$\{[^}]+\}|\[\[[^\]]+\]\]/;

/** Interpolates a single value such as a billing account or an enterprise id. */
export function interpolateValue(value: string | undefined, scopedVars?: ScopedVars): string {
  return getTemplateSrv()
    .replace(value ?? '', scopedVars)
    .trim();
}

/**
 * Interpolates a value that may name several things, such as billing accounts: a multi-value
 * variable (or its "All" value) becomes its values separated by commas (`a,b`), which the backend
 * splits, rather than Grafana's default `{a,b}`.
 */
export function interpolateCsv(value: string | undefined, scopedVars?: ScopedVars): string {
  return getTemplateSrv()
    .replace(value ?? '', scopedVars, joinCsv)
    .trim();
}

function joinCsv(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value ?? '');
}

/**
 * Interpolates every element of a list. A multi-value variable (or its "All" value) expands to one
 * element per value, so `['$line']` with three lines selected becomes three lines. The result keeps
 * the first occurrence of each value and drops empty ones.
 */
export function interpolateList(values: readonly string[] | undefined, scopedVars?: ScopedVars): string[] {
  const templateSrv = getTemplateSrv();
  const expanded = (values ?? []).flatMap((value) =>
    templateSrv.replace(value, scopedVars, joinMultiValue).split(MULTI_VALUE_SEPARATOR)
  );
  return unique(expanded.map((value) => value.trim()).filter((value) => value !== ''));
}

function joinMultiValue(value: unknown): string {
  return Array.isArray(value) ? value.join(MULTI_VALUE_SEPARATOR) : String(value ?? '');
}

/** Whether a value refers to a template variable (and so cannot be listed ahead of time). */
export function hasVariable(value: string | undefined): boolean {
  return VARIABLE_PATTERN.test(value ?? '');
}

/** The dashboard's variables, offered as `$name` options in the editors' drop-downs. */
export function variableOptions(): Array<ComboboxOption<string>> {
  return getTemplateSrv()
    .getVariables()
    .map(({ name }) => ({ label: `$${name}`, value: `$${name}`, group: 'Template variables' }));
}

export function unique<T>(values: readonly T[]): T[] {
  return Array.from(new Set(values));
}
