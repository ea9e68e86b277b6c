import { describe, expect, it } from 'vitest';
import { synthContext } from '../../bench/synth-context';
import { loadConfig } from '../../lib/config';

describe('the synth-scale context', () => {
  it.each([1, 10, 50])('is a valid riderapp configuration with %i services, each with its own target group', (count) => {
    // Prepare
    const context = synthContext(count);

    // Act
    const config = loadConfig((key) => context[key]);

    // Assess
    expect(config.services).toHaveLength(count);
    expect(config.services[0]?.service).toBe('riderapp-service');
    expect(new Set(config.services.map((s) => s.service)).size).toBe(count);
    expect(new Set(config.services.map((s) => s.targetGroup)).size).toBe(count);
  });
});
