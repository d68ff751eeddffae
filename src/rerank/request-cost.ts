import type { BillingUnit } from './providers/provider-spec.js';

/** Approximate tokens of a text: 4 UTF-8 bytes each (no tokenizer runs here; see provider-spec.ts). */
export function approxTokens(bytes: number): number {
  return Math.ceil(bytes / 4);
}

/** What one request costs in the provider's billing unit. */
export function billingUnits(billing: { unit: BillingUnit; documentsPerUnit?: number }, texts: number, tokens: number): number {
  switch (billing.unit) {
    case 'request':
      return 1;
    case 'search-unit':
      return Math.ceil(texts / (billing.documentsPerUnit ?? 100));
    case 'token':
      return tokens;
  }
}
