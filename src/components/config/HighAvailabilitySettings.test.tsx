import { screen } from '@testing-library/react';

import { configSettings as settings, renderConfigEditor as renderEditor } from '../../test/configEditor';
import { haIds } from './HighAvailabilitySettings';

describe('ConfigEditor — high availability', () => {
  it('is collapsed until opened, then stores the Redis URL, its password and the replicas', async () => {
    const { user, last } = renderEditor(settings());

    expect(screen.queryByTestId(haIds.sharedCacheUrl)).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Expand section High availability' }));

    await user.type(screen.getByTestId(haIds.sharedCacheUrl), 'redis://redis:6379/0');
    await user.type(screen.getByTestId(haIds.sharedCachePassword), 'pw');
    await user.type(screen.getByTestId(haIds.sharedCacheReplicas), '2');

    expect(last()?.jsonData).toEqual({ sharedCacheUrl: 'redis://redis:6379/0', sharedCacheReplicas: 2 });
    expect(last()?.secureJsonData).toEqual({ sharedCachePassword: 'pw' });
  });

  it('is open when a URL is set, marks a URL that is no Redis URL, and shows a saved password as configured', () => {
    renderEditor(settings({ sharedCacheUrl: 'http://redis:6379' }, { sharedCachePassword: true }));

    expect(screen.getByTestId(haIds.sharedCacheUrl)).toHaveValue('http://redis:6379');
    expect(screen.getByText(/A Redis URL: redis:\/\/ or rediss:\/\//)).toBeInTheDocument();
    expect(screen.getByTestId(haIds.sharedCachePassword)).toHaveValue('configured');
  });

  it('accepts a TLS URL without a database number', () => {
    renderEditor(settings({ sharedCacheUrl: 'rediss://redis.example.com:6380' }));

    expect(screen.queryByText(/A Redis URL: redis:\/\//)).not.toBeInTheDocument();
  });
});
