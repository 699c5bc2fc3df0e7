import { ScopedVars, TypedVariableModel } from '@grafana/data';
import { setTemplateSrv, TemplateSrv } from '@grafana/runtime';

/** A dashboard variable as the fake sees it; `current` may be `$__all` (the "All" option). */
export interface FakeVariable {
  name: string;
  current: string | string[];
  /** Every value the variable offers, used for "All". */
  options?: string[];
}

const ALL = '$__all';

/** Grafana's variable syntaxes: `$name`, `[[name]]`, `${name}`, `${name:format}`. */
const VARIABLE_REGEX = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;

/**
 * A stand-in for Grafana's TemplateSrv with the behaviour the plugin relies on: scoped variables win;
 * "All" becomes every option; a format function receives the value (an array for multi-value
 * variables); without a format, multi-values are joined as `{a,b}`; unknown variables stay as written.
 */
export class FakeTemplateSrv implements TemplateSrv {
  constructor(private readonly variables: FakeVariable[] = []) {}

  getVariables(): TypedVariableModel[] {
    // Only `name` is read by the plugin; the rest of the model is irrelevant here.
    return this.variables.map(({ name }) => ({ name, type: 'custom' }) as unknown as TypedVariableModel);
  }

  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
    return (target ?? '').replace(VARIABLE_REGEX, (match, ...groups: Array<string | undefined>) => {
      const name = groups[0] ?? groups[1] ?? groups[3] ?? '';
      const value = this.valueOf(name, scopedVars);
      if (value === undefined) {
        return match;
      }
      if (typeof format === 'function') {
        return format(value);
      }
      return Array.isArray(value) ? (value.length === 1 ? value[0] : `{${value.join(',')}}`) : value;
    });
  }

  containsTemplate(target?: string): boolean {
    return new RegExp(VARIABLE_REGEX.source).test(target ?? '');
  }

  updateTimeRange(): void {}

  private valueOf(name: string, scopedVars?: ScopedVars): string | string[] | undefined {
    const scoped = scopedVars?.[name];
    if (scoped) {
      return scoped.value;
    }
    const variable = this.variables.find((v) => v.name === name);
    if (!variable) {
      return undefined;
    }
    const isAll = variable.current === ALL || (Array.isArray(variable.current) && variable.current.includes(ALL));
    return isAll ? (variable.options ?? []) : variable.current;
  }
}

/** Installs a fake TemplateSrv for `getTemplateSrv()` and returns it. */
export function installTemplateSrv(variables: FakeVariable[] = []): FakeTemplateSrv {
  const templateSrv = new FakeTemplateSrv(variables);
  setTemplateSrv(templateSrv);
  return templateSrv;
}
