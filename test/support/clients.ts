// The real HTTP clients users call ZDX with. Each resolves once the whole response body has been read, and
// rejects (never hangs) on a failure, so tests can await the attempt and then read telemetry.
import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import got from 'got';
import { request as undiciRequest } from 'undici';

export type ClientName = 'fetch' | 'undici' | 'axios' | 'got' | 'node:http';
export const CLIENTS: readonly ClientName[] = ['fetch', 'undici', 'axios', 'got', 'node:http'];

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  agent?: http.Agent;
  timeoutMs?: number;
  signal?: AbortSignal;
  ca?: string;
}

export async function call(client: ClientName, url: string, options: CallOptions = {}): Promise<number> {
  const method = options.method ?? 'GET';
  switch (client) {
    case 'fetch': {
      const response = await fetch(url, {
        method,
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.body !== undefined ? { body: options.body } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      await response.arrayBuffer();
      return response.status;
    }
    case 'undici': {
      const response = await undiciRequest(url, {
        method: method as 'GET',
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.body !== undefined ? { body: options.body } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      await response.body.arrayBuffer();
      return response.statusCode;
    }
    case 'axios': {
      const response = await axios.request({
        url,
        method,
        validateStatus: () => true,
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.body !== undefined ? { data: options.body } : {}),
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.agent ? { httpAgent: options.agent } : {}),
      });
      return response.status;
    }
    case 'got': {
      const response = await got(url, {
        method: method as 'GET',
        throwHttpErrors: false,
        retry: { limit: 0 },
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.body !== undefined ? { body: options.body } : {}),
        ...(options.timeoutMs ? { timeout: { request: options.timeoutMs } } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return response.statusCode;
    }
    case 'node:http':
      return nodeHttp(url, options);
  }
}

function nodeHttp(url: string, options: CallOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const mod = target.protocol === 'https:' ? https : http;
    const req = mod.request(
      target,
      {
        method: options.method ?? 'GET',
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    if (options.timeoutMs)
      req.setTimeout(options.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(options.body);
  });
}
