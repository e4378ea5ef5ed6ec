using System.Text;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using StackExchange.Redis;

namespace Gatehouse.Server.Storage.Redis;

/// <summary>
/// The fields of a session hash (<c>s:{sid}</c>), sized so the hash stays a listpack, Redis's compact encoding for
/// small hashes: at most 128 fields of at most 64 bytes each (<c>hash-max-listpack-entries/-value</c>, the defaults).
/// One value over 64 bytes would convert the hash to a real hash table and more than double its memory, so the user
/// agent is cut into 64-byte chunks (<c>u</c>, <c>v</c>, ...). Field names are one letter because every byte of the
/// listpack counts: a fresh session with a 100-character user agent fits jemalloc's 224-byte class with one-letter
/// names and falls into the 256-byte class with two-letter ones. Last use is not stored: only a rotation uses a
/// session, so it is the rotation time, or the creation time before the first rotation.
/// </summary>
internal readonly record struct RedisSessionHash(
    string MemberId,
    byte[] CurrentHash,
    byte[]? PreviousHash,
    byte[]? Nonce,
    long? RotatedAt,
    long CreatedAt,
    long IdleExpiresAt,
    long AbsoluteExpiresAt,
    string? UserAgent)
{
    public const string Member = "m";
    public const string Current = "c";
    public const string Previous = "p";
    public const string CurrentNonce = "n";
    public const string Rotated = "r";
    public const string Created = "t";
    public const string IdleExpires = "i";
    public const string AbsoluteExpires = "a";

    /// <summary>The listpack limit of one value (<c>hash-max-listpack-value</c>, default 64).</summary>
    public const int ChunkSize = 64;

    private static readonly string[] UserAgentFields = ["u", "v", "w", "x", "y", "z"];

    /// <summary>A user agent longer than this (Core keeps 100 characters, at most 300 UTF-8 bytes) is cut to fit.</summary>
    public static int MaxUserAgentBytes => UserAgentFields.Length * ChunkSize;

    public long ExpiresAt => Math.Min(IdleExpiresAt, AbsoluteExpiresAt);

    public bool IsLive(long now) => now < IdleExpiresAt && now < AbsoluteExpiresAt;

    public static RedisSessionHash From(NewRefreshSession session)
    {
        var s = session.Session;
        return new RedisSessionHash(
            s.MemberId.Value,
            session.TokenHash,
            PreviousHash: null,
            Nonce: null,
            RotatedAt: null,
            s.CreatedAt.ToUnixTimeMilliseconds(),
            s.IdleExpiresAt.ToUnixTimeMilliseconds(),
            s.AbsoluteExpiresAt.ToUnixTimeMilliseconds(),
            s.UserAgent);
    }

    /// <summary>Field, value, field, value, ... as HSET takes them.</summary>
    public List<RedisValue> ToFieldValues()
    {
        var values = new List<RedisValue>(24)
        {
            Member, MemberId,
            Current, CurrentHash,
            Created, CreatedAt,
            IdleExpires, IdleExpiresAt,
            AbsoluteExpires, AbsoluteExpiresAt,
        };
        if (PreviousHash is not null)
        {
            values.AddRange([Previous, PreviousHash]);
        }

        if (Nonce is not null)
        {
            values.AddRange([CurrentNonce, Nonce]);
        }

        if (RotatedAt is { } rotated)
        {
            values.AddRange([Rotated, rotated]);
        }

        if (!string.IsNullOrEmpty(UserAgent))
        {
            var bytes = Utf8Prefix(UserAgent, MaxUserAgentBytes);
            for (int i = 0, offset = 0; offset < bytes.Length; i++, offset += ChunkSize)
            {
                values.Add(UserAgentFields[i]);
                values.Add(bytes.AsMemory(offset, Math.Min(ChunkSize, bytes.Length - offset)).ToArray());
            }
        }

        return values;
    }

    /// <summary>Reads HGETALL's answer; null when the hash is missing or lacks a required field.</summary>
    public static RedisSessionHash? Read(ReadOnlySpan<HashEntry> entries)
    {
        string? member = null;
        byte[]? current = null, previous = null, nonce = null;
        long? rotated = null, created = null, idle = null, absolute = null;
        Span<byte[]?> userAgent = new byte[]?[UserAgentFields.Length];
        foreach (var entry in entries)
        {
            var name = (string?)entry.Name;
            switch (name)
            {
                case Member: member = entry.Value; break;
                case Current: current = entry.Value; break;
                case Previous: previous = entry.Value; break;
                case CurrentNonce: nonce = entry.Value; break;
                case Rotated: rotated = (long)entry.Value; break;
                case Created: created = (long)entry.Value; break;
                case IdleExpires: idle = (long)entry.Value; break;
                case AbsoluteExpires: absolute = (long)entry.Value; break;
                default:
                    var chunk = Array.IndexOf(UserAgentFields, name);
                    if (chunk >= 0)
                    {
                        userAgent[chunk] = entry.Value;
                    }

                    break;
            }
        }

        if (member is null || current is null || created is null || idle is null || absolute is null)
        {
            return null;
        }

        return new RedisSessionHash(member, current, previous, nonce, rotated, created.Value, idle.Value, absolute.Value, JoinUserAgent(userAgent));
    }

    /// <summary>Reads a script's HGETALL reply (a flat array: field, value, ...).</summary>
    public static RedisSessionHash? Read(RedisResult reply)
    {
        var flat = (RedisResult[]?)reply ?? [];
        var entries = new HashEntry[flat.Length / 2];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new HashEntry((RedisValue)flat[2 * i], (RedisValue)flat[(2 * i) + 1]);
        }

        return Read(entries);
    }

    public RefreshSession ToSession(string sessionId) => new(
        new SessionId(sessionId),
        new MemberId(MemberId),
        DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
        DateTimeOffset.FromUnixTimeMilliseconds(RotatedAt ?? CreatedAt),
        DateTimeOffset.FromUnixTimeMilliseconds(IdleExpiresAt),
        DateTimeOffset.FromUnixTimeMilliseconds(AbsoluteExpiresAt),
        UserAgent);

    private static string? JoinUserAgent(ReadOnlySpan<byte[]?> chunks)
    {
        var length = 0;
        foreach (var chunk in chunks)
        {
            length += chunk?.Length ?? 0;
        }

        if (length == 0)
        {
            return null;
        }

        var bytes = new byte[length];
        var offset = 0;
        foreach (var chunk in chunks)
        {
            if (chunk is not null)
            {
                chunk.CopyTo(bytes, offset);
                offset += chunk.Length;
            }
        }

        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The UTF-8 bytes of <paramref name="value"/>, cut at a character boundary to at most <paramref name="maxBytes"/>.</summary>
    private static byte[] Utf8Prefix(string value, int maxBytes)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length <= maxBytes)
        {
            return bytes;
        }

        var end = maxBytes;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80)
        {
            end--;
        }

        return bytes[..end];
    }
}
