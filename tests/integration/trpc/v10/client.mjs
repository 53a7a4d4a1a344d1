// Client factory for the Khedma tRPC integration suite (../suite.mjs) built on @trpc/client v10:
// createTRPCProxyClient with httpBatchLink or httpLink; in v10 the transformer goes on the client.
import { createTRPCProxyClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';

export const version = 'v10';
export { TRPCClientError, superjson };

// makeClient({url, link: 'batch'|'http', transformer: 'none'|'superjson', headers, fetch})
export function makeClient({ url, link, transformer, headers, fetch }) {
  const makeLink = link === 'batch' ? httpBatchLink : httpLink;
  const options = { links: [makeLink({ url, headers, fetch })] };
  if (transformer === 'superjson') options.transformer = superjson;
  return createTRPCProxyClient(options);
}
