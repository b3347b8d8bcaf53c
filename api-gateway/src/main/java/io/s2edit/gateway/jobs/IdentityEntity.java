package io.s2edit.gateway.jobs;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** One source image (and, for compositions, its reference image) with its prompts. */
@Entity
@Table(name = "identities")
public class IdentityEntity extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "source_prompt", nullable = false)
    public String sourcePrompt;

    @Column(name = "object_word", nullable = false)
    public String objectWord;

    @Column(name = "has_mask", nullable = false)
    public boolean hasMask;

    @Column(name = "reference_prompt")
    public String referencePrompt;

    @Column(name = "attribute_word")
    public String attributeWord;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
}
