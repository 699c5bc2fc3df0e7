import { screen } from '@testing-library/react';

import { fakeOptionsSource, FakeAnswers, pickOption, settle, typeCustomValue } from '../test/fakes';
import { renderSubEditor } from '../test/render';
import { installTemplateSrv } from '../test/templateSrv';
import { CdnBandwidthQuery } from '../types';
import { CdnQueryEditor } from './CdnQueryEditor';

const answers: FakeAnswers = {
  'cdn/resources': [
    { value: '977655738', text: 'static.example.com' },
    { value: '977655739', text: 'video.example.com' },
  ],
  'cdn/locations': [
    { value: '331', text: 'London, United Kingdom' },
    { value: '532', text: 'Paris, France' },
  ],
};

const query = (patch: Partial<CdnBandwidthQuery> = {}): CdnBandwidthQuery => ({
  refId: 'B',
  queryType: 'cdnBandwidth',
  type: 'GB',
  groupBy: '',
  resources: [],
  locations: [],
  ...patch,
});

beforeEach(() => {
  installTemplateSrv([{ name: 'resource', current: ['977655738'] }]);
});

describe('CdnQueryEditor', () => {
  it('builds the model from the unit, the grouping and the picked resources and locations', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const { user, last, onRunQuery } = renderSubEditor(CdnQueryEditor, query(), source);
    await settle(fetchOptions);

    await user.click(screen.getByLabelText('Bandwidth (Mbit/s)'));
    await user.click(screen.getByLabelText('Location'));
    await pickOption(user, 'Resources', 'video.example.com');
    await pickOption(user, 'Locations', 'Paris, France');
    await pickOption(user, 'Locations', 'London, United Kingdom');

    expect(last()).toEqual(
      query({ type: 'MBPS', groupBy: 'location', resources: ['977655739'], locations: ['532', '331'] })
    );
    expect(onRunQuery).toHaveBeenCalledTimes(5);
  });

  it('accepts a variable and a reference typed by hand', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const { user, last } = renderSubEditor(CdnQueryEditor, query({ groupBy: 'resource' }), source);
    await settle(fetchOptions);

    await pickOption(user, 'Resources', '$resource');
    await typeCustomValue(user, 'Resources', '977655740');

    expect(last()).toEqual(query({ groupBy: 'resource', resources: ['$resource', '977655740'] }));
  });

  it('shows saved references by their hostname and goes back to "none" grouping', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    const { user, last } = renderSubEditor(
      CdnQueryEditor,
      query({ groupBy: 'resource', resources: ['977655738'] }),
      source
    );
    await settle(fetchOptions);

    expect(screen.getByText('static.example.com')).toBeInTheDocument();
    await user.click(screen.getByLabelText('None'));

    expect(last()).toEqual(query({ groupBy: '', resources: ['977655738'] }));
  });

  it('lists resources and locations once each', async () => {
    const { source, fetchOptions } = fakeOptionsSource(answers);
    renderSubEditor(CdnQueryEditor, query(), source);
    await settle(fetchOptions);

    expect(fetchOptions.mock.calls).toEqual([
      ['cdn/resources', {}],
      ['cdn/locations', {}],
    ]);
  });
});
