import * as tf from '@tensorflow/tfjs';
import { AttentionRecorder, type AttentionSource } from '../capabilities.ts';
import { boolKwarg } from './common.ts';

/**
 * What Keras' dense attention layers and `MultiHeadAttention` share: from `attend`'s
 * `[output, weights]`, `call` returns the output, and `[output, weights]` with
 * `return_attention_scores` (the call kwarg, else {@link returnAttentionScores}); `computeAttention`
 * returns the weights.
 */
export abstract class ScoredAttentionLayer extends tf.layers.Layer implements AttentionSource {
  abstract readonly attentionAxes: readonly string[];
  /** Call default for `return_attention_scores`. */
  abstract returnAttentionScores: boolean;
  private readonly recorder = new AttentionRecorder();

  /** `[output, attention weights]` for these call inputs. */
  protected abstract attend(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): [tf.Tensor, tf.Tensor];

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const [out, weights] = this.attend(inputs, kwargs);
      this.recorder.record(weights);
      return boolKwarg(kwargs, 'return_attention_scores', this.returnAttentionScores) ? [out, weights] : out;
    });
  }

  /** The attention weights for these call inputs, with the axes {@link attentionAxes} names. */
  computeAttention(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => this.attend(inputs, kwargs)[1]);
  }

  /** See {@link AttentionSource.recordAttention}. */
  recordAttention(): void {
    this.recorder.start();
  }

  /** See {@link AttentionSource.takeAttention}. */
  takeAttention(): tf.Tensor | null {
    return this.recorder.take();
  }
}
