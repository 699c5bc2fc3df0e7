import { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { lastValueFrom, Observable, throwError } from 'rxjs';

/**
 * A minimal BackendSrv that performs real HTTP requests, as Grafana's does: `params` become the
 * query string, `data` a JSON body, and a non-2xx answer fails with a FetchError carrying the
 * parsed body in `data` (so `data.message` reaches the editors). Requests go to the page's origin,
 * the harness server, which answers Grafana's URLs.
 */
export class HarnessBackendSrv implements BackendSrv {
  /** Every request made, in order (method and URL), for the page and the test to read. */
  readonly requests: string[] = [];

  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      this.send<T>(options, controller.signal).then(
        (response) => {
          subscriber.next(response);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error)
      );
      return () => controller.abort();
    });
  }

  datasourceRequest<T = unknown>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return lastValueFrom(this.fetch<T>(options));
  }

  async request<T = unknown>(options: BackendSrvRequest): Promise<T> {
    return (await this.datasourceRequest<T>(options)).data;
  }

  get<T = any>(url: string, params?: any, requestId?: string, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'GET', url, params, requestId });
  }

  delete<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'DELETE', url, data });
  }

  post<T = any>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'POST', url, data });
  }

  patch<T = any>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'PATCH', url, data });
  }

  put<T = any>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'PUT', url, data });
  }

  chunked(options: BackendSrvRequest): Observable<FetchResponse<Uint8Array | undefined>> {
    return throwError(() => new Error(`chunked requests are not supported by the harness: ${options.url}`));
  }

  private async send<T>(options: BackendSrvRequest, signal: AbortSignal): Promise<FetchResponse<T>> {
    const method = (options.method ?? 'GET').toUpperCase();
    const url = withParams(options.url, options.params);
    const headers = new Headers(options.headers);
    let body: string | undefined;
    if (options.data !== undefined && method !== 'GET' && method !== 'HEAD') {
      body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
      if (!headers.has('Content-Type')) {
        headers.set('Content-Type', 'application/json');
      }
    }
    this.requests.push(`${method} ${url}`);
    const response = await fetch(url, { method, headers, body, signal, credentials: 'same-origin' });
    const text = await response.text();
    const data = parseBody(text, response.headers.get('Content-Type'));
    if (!response.ok) {
      const error: FetchError = {
        status: response.status,
        statusText: response.statusText,
        data,
        message: (data as { message?: string } | undefined)?.message ?? response.statusText,
        config: options,
      };
      throw error;
    }
    return {
      data: data as T,
      status: response.status,
      statusText: response.statusText,
      ok: response.ok,
      headers: response.headers,
      redirected: response.redirected,
      type: response.type,
      url: response.url,
      config: options,
    };
  }
}

/** Appends `params` as a query string; arrays repeat their key, undefined and null are left out. */
export function withParams(url: string, params?: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) {
        search.append(key, String(item));
      }
    }
  }
  const query = search.toString();
  return query ? `${url}${url.includes('?') ? '&' : '?'}${query}` : url;
}

function parseBody(text: string, contentType: string | null): unknown {
  if (text === '') {
    return undefined;
  }
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
