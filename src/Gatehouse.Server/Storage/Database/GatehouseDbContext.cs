using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Server.Storage.Database;

/// <summary>
/// The model both providers share. Each provider has its own subclass (<see cref="SqliteGatehouseDbContext"/>,
/// <see cref="PostgresGatehouseDbContext"/>) because EF Core keeps one migrations history per context type, and the
/// two databases need different column types. Stores depend on <c>IDbContextFactory&lt;GatehouseDbContext&gt;</c>.
/// </summary>
internal abstract class GatehouseDbContext : DbContext
{
    protected GatehouseDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<MemberRow> Members => Set<MemberRow>();

    public DbSet<RefreshSessionRow> RefreshSessions => Set<RefreshSessionRow>();

    public DbSet<SigningKeyRow> SigningKeys => Set<SigningKeyRow>();

    public DbSet<MemberIdentityRow> MemberIdentities => Set<MemberIdentityRow>();

    public DbSet<OneTimeTicketRow> OneTimeTickets => Set<OneTimeTicketRow>();

    public DbSet<OutboxEntryRow> OutboxEntries => Set<OutboxEntryRow>();

    public DbSet<OutboxAttemptRow> OutboxAttempts => Set<OutboxAttemptRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);

        modelBuilder.Entity<MemberRow>(member =>
        {
            member.ToTable("members");
            member.HasKey(m => m.Id).HasName("pk_members");
            member.Property(m => m.Id).HasColumnName("id").ValueGeneratedOnAdd();
            member.Property(m => m.PublicId).HasColumnName("public_id");
            member.Property(m => m.Email).HasColumnName("email").HasMaxLength(Core.Members.EmailAddress.MaxLength);
            member.Property(m => m.NormalizedEmail).HasColumnName("normalized_email").HasMaxLength(Core.Members.EmailAddress.MaxLength);
            member.Property(m => m.Nickname).HasColumnName("nickname");
            member.Property(m => m.PasswordHash).HasColumnName("password_hash");
            member.Property(m => m.CreatedAt).HasColumnName("created_at");
            member.Property(m => m.UpdatedAt).HasColumnName("updated_at");
            member.Property(m => m.WithdrawnAt).HasColumnName("withdrawn_at");
            member.HasIndex(m => m.PublicId).IsUnique().HasDatabaseName("ix_members_public_id");

            // Both SQLite and PostgreSQL treat NULLs as distinct in a unique index, so members without an email
            // (social logins whose provider shares none) never collide, while two equal addresses always do.
            member.HasIndex(m => m.NormalizedEmail).IsUnique().HasDatabaseName("ix_members_normalized_email");
        });

        modelBuilder.Entity<RefreshSessionRow>(session =>
        {
            session.ToTable("refresh_sessions");
            session.HasKey(s => s.Id).HasName("pk_refresh_sessions");
            session.Property(s => s.Id).HasColumnName("id");
            session.Property(s => s.MemberId).HasColumnName("member_id");
            session.Property(s => s.CurrentHash).HasColumnName("current_hash");
            session.Property(s => s.PreviousHash).HasColumnName("previous_hash");
            session.Property(s => s.Nonce).HasColumnName("nonce");
            session.Property(s => s.RotatedAt).HasColumnName("rotated_at");
            session.Property(s => s.CreatedAt).HasColumnName("created_at");
            session.Property(s => s.LastUsedAt).HasColumnName("last_used_at");
            session.Property(s => s.IdleExpiresAt).HasColumnName("idle_expires_at");
            session.Property(s => s.AbsoluteExpiresAt).HasColumnName("absolute_expires_at");
            session.Property(s => s.UserAgent).HasColumnName("user_agent");
            session.HasIndex(s => s.MemberId).HasDatabaseName("ix_refresh_sessions_member_id");

            // For the sweeper: a session ends at whichever expiry comes first.
            session.HasIndex(s => s.IdleExpiresAt).HasDatabaseName("ix_refresh_sessions_idle_expires_at");
            session.HasIndex(s => s.AbsoluteExpiresAt).HasDatabaseName("ix_refresh_sessions_absolute_expires_at");
        });

        modelBuilder.Entity<SigningKeyRow>(key =>
        {
            key.ToTable("signing_keys");
            key.HasKey(k => k.Kid).HasName("pk_signing_keys");
            key.Property(k => k.Kid).HasColumnName("kid");
            key.Property(k => k.Algorithm).HasColumnName("algorithm");
            key.Property(k => k.PublicJwk).HasColumnName("public_jwk");
            key.Property(k => k.SealedPrivateKey).HasColumnName("sealed_private_key");
            key.Property(k => k.CreatedAt).HasColumnName("created_at");
            key.Property(k => k.ActivatesAt).HasColumnName("activates_at");
            key.Property(k => k.RetiresAt).HasColumnName("retires_at");
            key.Property(k => k.ExpiresAt).HasColumnName("expires_at");
        });

        modelBuilder.Entity<MemberIdentityRow>(identity =>
        {
            identity.ToTable("member_identities");
            identity.HasKey(i => i.Id).HasName("pk_member_identities");
            identity.Property(i => i.Id).HasColumnName("id").ValueGeneratedOnAdd();
            identity.Property(i => i.MemberId).HasColumnName("member_id");
            identity.Property(i => i.Provider).HasColumnName("provider");
            identity.Property(i => i.Subject).HasColumnName("subject");
            identity.Property(i => i.Email).HasColumnName("email");
            identity.Property(i => i.EmailVerified).HasColumnName("email_verified");
            identity.Property(i => i.Name).HasColumnName("name");
            identity.Property(i => i.Picture).HasColumnName("picture");
            identity.Property(i => i.LinkedAt).HasColumnName("linked_at");
            identity.Property(i => i.LastLoginAt).HasColumnName("last_login_at");
            identity.Property(i => i.SealedGrant).HasColumnName("sealed_grant");
            identity.HasOne(i => i.Member)
                .WithMany()
                .HasForeignKey(i => i.MemberId)
                .HasConstraintName("fk_member_identities_members_member_id")
                .OnDelete(DeleteBehavior.Cascade);

            // The two rules of IMemberIdentityStore, kept by the database: a provider account belongs to one member,
            // and a member has at most one account of each provider. The second also serves lookups by member.
            identity.HasIndex(i => new { i.Provider, i.Subject }).IsUnique().HasDatabaseName("ix_member_identities_provider_subject");
            identity.HasIndex(i => new { i.MemberId, i.Provider }).IsUnique().HasDatabaseName("ix_member_identities_member_id_provider");
        });

        modelBuilder.Entity<OneTimeTicketRow>(ticket =>
        {
            ticket.ToTable("one_time_tickets");
            ticket.HasKey(t => t.Key).HasName("pk_one_time_tickets");
            ticket.Property(t => t.Key).HasColumnName("key");
            ticket.Property(t => t.Value).HasColumnName("value");
            ticket.Property(t => t.ExpiresAt).HasColumnName("expires_at");

            // For the sweeper.
            ticket.HasIndex(t => t.ExpiresAt).HasDatabaseName("ix_one_time_tickets_expires_at");
        });

        modelBuilder.Entity<OutboxEntryRow>(entry =>
        {
            entry.ToTable("outbox_entries");
            entry.HasKey(e => e.Id).HasName("pk_outbox_entries");
            entry.Property(e => e.Id).HasColumnName("id").ValueGeneratedOnAdd();
            entry.Property(e => e.EventId).HasColumnName("event_id");
            entry.Property(e => e.Kind).HasColumnName("kind");
            entry.Property(e => e.EventType).HasColumnName("event_type");
            entry.Property(e => e.Target).HasColumnName("target");
            entry.Property(e => e.Payload).HasColumnName("payload");
            entry.Property(e => e.Status).HasColumnName("status");
            entry.Property(e => e.Attempts).HasColumnName("attempts");
            entry.Property(e => e.NextAttemptAt).HasColumnName("next_attempt_at");
            entry.Property(e => e.LeaseOwner).HasColumnName("lease_owner");
            entry.Property(e => e.LeaseExpiresAt).HasColumnName("lease_expires_at");
            entry.Property(e => e.LastError).HasColumnName("last_error");
            entry.Property(e => e.CreatedAt).HasColumnName("created_at");
            entry.Property(e => e.CompletedAt).HasColumnName("completed_at");

            // One step per (event, kind, target): writing it twice is a no-op, so every step is idempotent by event id.
            entry.HasIndex(e => new { e.EventId, e.Kind, e.Target }).IsUnique().HasDatabaseName("ix_outbox_entries_event_id_kind_target");

            // The dispatcher's claim: pending entries that are due.
            entry.HasIndex(e => new { e.Status, e.NextAttemptAt }).HasDatabaseName("ix_outbox_entries_status_next_attempt_at");
        });

        modelBuilder.Entity<OutboxAttemptRow>(attempt =>
        {
            attempt.ToTable("outbox_attempts");
            attempt.HasKey(a => a.Id).HasName("pk_outbox_attempts");
            attempt.Property(a => a.Id).HasColumnName("id").ValueGeneratedOnAdd();
            attempt.Property(a => a.EntryId).HasColumnName("entry_id");
            attempt.Property(a => a.AttemptedAt).HasColumnName("attempted_at");
            attempt.Property(a => a.DurationMs).HasColumnName("duration_ms");
            attempt.Property(a => a.Outcome).HasColumnName("outcome");
            attempt.Property(a => a.StatusCode).HasColumnName("status_code");
            attempt.Property(a => a.Error).HasColumnName("error");
            attempt.HasOne<OutboxEntryRow>()
                .WithMany()
                .HasForeignKey(a => a.EntryId)
                .HasConstraintName("fk_outbox_attempts_outbox_entries_entry_id")
                .OnDelete(DeleteBehavior.Cascade);
            attempt.HasIndex(a => a.EntryId).HasDatabaseName("ix_outbox_attempts_entry_id");
        });
    }
}
