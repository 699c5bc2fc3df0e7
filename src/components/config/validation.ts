/**
 * Why a source's URL setting would be refused by the backend (pkg/models/settings.go, checkBaseURL), or
 * `undefined` when it is accepted or empty (unset).
 */
export function urlProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return 'An absolute URL such as https://api.example.com';
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') {
    return 'An absolute http:// or https:// URL such as https://api.example.com';
  }
  if (url.username !== '' || url.password !== '') {
    return 'No user or password in the URL: use the secret fields';
  }
  if (url.search !== '' || url.hash !== '' || trimmed.includes('?') || trimmed.includes('#')) {
    return 'No query string (?…) or fragment (#…)';
  }
  return undefined;
}

const REDIS_URL = /^rediss?:\/\/[^/?#]+(\/\d+)?\/?$/;

/** Why a shared cache URL is no Redis URL, or `undefined` when it is one or empty. */
export function redisUrlProblem(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed === '' || REDIS_URL.test(trimmed)
    ? undefined
    : 'A Redis URL: redis:// or rediss://, a host, and optionally a database number such as /0';
}
