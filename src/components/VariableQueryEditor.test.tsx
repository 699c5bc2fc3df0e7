import type { DataSource } from '../datasource';
import { fakeOptionsSource, pickOption, settle } from '../test/fakes';
import { renderControlled } from '../test/render';
import { installTemplateSrv } from '../test/templateSrv';
import { VariableQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

function renderEditor(initial: VariableQuery) {
  const { source, fetchOptions } = fakeOptionsSource({
    'telephony/billing-accounts': [
      { value: 'ab11111-ovh-1', text: 'ab11111-ovh-1 — Head office' },
      { value: 'ab22222-ovh-1', text: 'ab22222-ovh-1 — Shops' },
    ],
  });
  const datasource = source as unknown as DataSource;
  const view = renderControlled(VariableQueryEditor, initial, (query, onChange) => ({
    query,
    datasource,
    onChange,
    onRunQuery: jest.fn(),
  }));
  return { ...view, fetchOptions };
}

beforeEach(() => {
  installTemplateSrv([{ name: 'ba', current: 'ab11111-ovh-1' }]);
});

describe('VariableQueryEditor', () => {
  it('lists the lines of a picked billing account', async () => {
    const { user, last, fetchOptions } = renderEditor({ refId: 'V', kind: 'billingAccounts' });

    await pickOption(user, 'List', 'Lines');
    expect(last()).toEqual({ refId: 'V', kind: 'lines', billingAccount: '' });

    await settle(fetchOptions);
    await pickOption(user, 'Billing account', 'ab22222-ovh-1 — Shops');
    expect(last()).toEqual({ refId: 'V', kind: 'lines', billingAccount: 'ab22222-ovh-1' });
  });

  it('lists the lines of every account', async () => {
    const { user, last, fetchOptions } = renderEditor({ refId: 'V', kind: 'lines', billingAccount: '' });
    await settle(fetchOptions);

    await pickOption(user, 'Billing account', 'All accounts');

    expect(last()).toEqual({ refId: 'V', kind: 'lines', billingAccount: '*' });
  });

  it('chains the lines to another variable', async () => {
    const { user, last, fetchOptions } = renderEditor({ refId: 'V', kind: 'lines', billingAccount: '' });
    await settle(fetchOptions);

    await pickOption(user, 'Billing account', '$ba');

    expect(last()).toEqual({ refId: 'V', kind: 'lines', billingAccount: '$ba' });
  });

  it('drops the billing account for a kind that does not use it', async () => {
    const { user, last, fetchOptions } = renderEditor({ refId: 'V', kind: 'lines', billingAccount: 'ab11111-ovh-1' });
    await settle(fetchOptions);

    await pickOption(user, 'List', 'CDN resources');

    expect(last()).toEqual({ refId: 'V', kind: 'cdnResources' });
  });

  it('starts a new variable on billing accounts', () => {
    const { getByLabelText, onChange } = renderEditor({ refId: 'V' } as VariableQuery);

    expect(getByLabelText('List')).toHaveValue('Billing accounts');
    expect(onChange).not.toHaveBeenCalled();
  });
});
