package io.s2edit.s2edit.finetune;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Scalars;

/**
 * S2Edit's semantic loss (§3.2, Eq. 1): L_semantic = ||Proj_{e_P}(e_[I])|| = |cos(e_P, e_[I])|,
 * which pushes the identity token's embedding to be orthogonal to the prompt's summary embedding.
 * Differentiable in both arguments.
 */
public final class SemanticLoss {

    /** Guards the division for (near-)zero vectors, as torch's cosine_similarity eps. */
    public static final float EPS = 1e-8f;

    private SemanticLoss() {
    }

    /** |cos(eP, eI)| = |eP · eI| / max(||eP|| ||eI||, eps), a scalar; eP and eI are [D]. */
    public static NDArray of(NDArray eP, NDArray eI) {
        if (!eP.getShape().equals(eI.getShape()) || eP.getShape().dimension() != 1) {
            throw new IllegalArgumentException("e_P and e_[I] must be vectors of the same width, got " + eP.getShape()
                    + " and " + eI.getShape());
        }
        NDArray dot = eP.mul(eI).sum();
        NDArray norms = eP.square().sum().sqrt().mul(eI.square().sum().sqrt());
        return dot.div(norms.maximum(Scalars.of(norms, EPS))).abs(); // a tensor eps: see Scalars
    }
}
