using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using StackExchange.Redis;

namespace Gatehouse.Server.Storage.Redis;

/// <summary>
/// The key layout of docs/architecture.md ("Redis layout"). The braces are literal Redis Cluster hash tags: every key
/// one operation touches hashes to one slot, so each script runs on one key (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public RedisKey Session(SessionId id) => Session(id.Value);

    public RedisKey Session(string sessionId) => prefix + "s:{" + sessionId + "}";

    public RedisKey MemberIndex(MemberId id) => prefix + "m:{" + id.Value + "}";

    public RedisKey Throttle(string key) => prefix + "t:{" + key + "}";

    public RedisKey Ticket(string key) => prefix + "ticket:{" + key + "}";
}
