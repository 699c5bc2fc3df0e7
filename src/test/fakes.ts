import { act, screen, within } from '@testing-library/react';
import { UserEvent } from '@testing-library/user-event';

import { OptionsSource } from '../components/useResourceOptions';
import { ResourceOption, ResourceParams, ResourcePath } from '../types';

/**
 * Answers keyed by resource path, or by `path?param=value` for calls with parameters
 * (e.g. `telephony/lines?billingAccount=ba1`). An answer may be an Error, which the call rejects with.
 */
export type FakeAnswers = Partial<Record<string, ResourceOption[] | Error>>;

/** A stand-in for the data source's resource lists, recording every call. */
export function fakeOptionsSource(answers: FakeAnswers = {}) {
  const fetchOptions = jest.fn(async (path: ResourcePath, params: ResourceParams = {}) => {
    const query = Object.entries(params)
      .filter(([, value]) => value)
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
    const answer = answers[query ? `${path}?${query}` : path];
    if (answer instanceof Error) {
      throw answer;
    }
    return answer ?? [];
  });
  const source: OptionsSource = { fetchOptions };
  return { source, fetchOptions };
}

/**
 * Opens a Combobox or MultiCombobox by its label (a MultiCombobox stays open after a pick) and clicks
 * the option whose text starts with `option`.
 */
export async function pickOption(user: UserEvent, field: string | RegExp, option: string) {
  const input = screen.getByLabelText(field);
  if (input.getAttribute('aria-expanded') !== 'true') {
    await user.click(input);
  }
  await user.click(await findOption(input, new RegExp(`^${escapeRegExp(option)}`)));
}

/** Types a value that is not among the options into an empty Combobox and picks it. */
export async function typeCustomValue(user: UserEvent, field: string | RegExp, value: string) {
  const input = screen.getByLabelText(field);
  await user.click(input);
  // One paste rather than a keystroke per character: each keystroke re-renders and re-filters.
  await user.paste(value);
  await user.click(await findOption(input, new RegExp(`^${escapeRegExp(value)}.*custom value`, 'i')));
}

/** Looks for the option in the combobox's own menu: role queries over the whole page are slow. */
function findOption(input: HTMLElement, name: RegExp) {
  const menu = document.getElementById(input.getAttribute('aria-controls') ?? '');
  return (menu ? within(menu) : screen).findByRole('option', { name });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Waits until every resource call made so far has answered and the editor has reacted. */
export async function settle(fetchOptions: jest.Mock) {
  await act(async () => {
    await Promise.allSettled(fetchOptions.mock.results.map((result) => result.value));
  });
}
