// Client factory for the Khedma tRPC integration suite (../suite.mjs) built on @trpc/client v11:
// createTRPCClient with httpBatchLink or httpLink; in v11 the transformer goes on the link.
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';

export const version = 'v11';
export { TRPCClientError, superjson };

// makeClient({url, link: 'batch'|'http', transformer: 'none'|'superjson', headers, fetch})
export function makeClient({ url, link, transformer, headers, fetch }) {
  const makeLink = link === 'batch' ? httpBatchLink : httpLink;
  const linkOptions = { url, headers, fetch };
  if (transformer === 'superjson') linkOptions.transformer = superjson;
  return createTRPCClient({ links: [makeLink(linkOptions)] });
}
