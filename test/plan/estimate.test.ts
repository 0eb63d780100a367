import { describe, expect, it } from 'vitest';
import { DEFAULT_ESTIMATE_SECONDS, durationFromPrompt, estimateSeconds } from '../../src/plan/estimate.js';
import { agent, direct } from './builders.js';

const words = (n: number): string => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

describe('estimateSeconds', () => {
  it('reads scripts at 150 words per minute', () => {
    expect(estimateSeconds(direct('a', { script: words(150) }))).toBe(60);
    expect(estimateSeconds(direct('a', { script: words(75) }))).toBe(30);
  });

  it('scales by voice_settings.speed', () => {
    expect(estimateSeconds(direct('a', { script: words(150), voice_settings: { speed: 1.5 } }))).toBe(40);
    expect(estimateSeconds(direct('a', { script: words(150), voice_settings: { speed: 0.5 } }))).toBe(120);
  });

  it('ignores punctuation-only tokens and never returns 0', () => {
    expect(estimateSeconds(direct('a', { script: '— … !' }))).toBe(1);
  });

  it('uses the default for audio-driven entries', () => {
    const e = direct('a', { script: undefined, audio_asset_id: 'reel-asset:sha256:00' });
    expect(estimateSeconds(e)).toBe(DEFAULT_ESTIMATE_SECONDS);
  });

  it('takes agent durations from the prompt, else the default', () => {
    expect(estimateSeconds(agent('a', { prompt: 'A 60-second onboarding video.' }))).toBe(60);
    expect(estimateSeconds(agent('a', { prompt: 'Make it about 2 minutes long.' }))).toBe(120);
    expect(estimateSeconds(agent('a', { prompt: 'A friendly explainer.' }))).toBe(DEFAULT_ESTIMATE_SECONDS);
  });

  it('understands the usual ways of writing a length', () => {
    expect(durationFromPrompt('a 90 s teaser')).toBe(90);
    expect(durationFromPrompt('one minute, tops')).toBe(60);
    expect(durationFromPrompt('a 1.5-min recap')).toBe(90);
    expect(durationFromPrompt('45 secs')).toBe(45);
    expect(durationFromPrompt('thirty seconds')).toBe(30);
    expect(durationFromPrompt('a minute')).toBe(60);
    expect(durationFromPrompt('our 5 steps')).toBeUndefined();
    expect(durationFromPrompt('version 2.5 launch')).toBeUndefined();
  });
});
