using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// HTTP/1.1 written and read by hand, for requests a client library would refuse or abandon: the server answers (and
/// closes) long before a 1 MB request is sent, so writing stops as soon as an answer arrives and the answer is still read.
/// </summary>
internal static class RawHttp
{
    public sealed record Response(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
    }

    public static IEnumerable<byte[]> Split(byte[] bytes, int size = 16 * 1024)
    {
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            yield return bytes[offset..Math.Min(bytes.Length, offset + size)];
        }
    }

    public static IEnumerable<byte[]> Chunked(byte[] bytes)
    {
        foreach (var chunk in Split(bytes))
        {
            yield return [.. Encoding.ASCII.GetBytes(chunk.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), .. chunk, .. "\r\n"u8];
        }

        yield return "0\r\n\r\n"u8.ToArray();
    }

    public static async Task<Response> SendAsync(int port, byte[] head, IEnumerable<byte[]> rest)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        if (await TrySendAsync(socket, head))
        {
            foreach (var part in rest)
            {
                if (socket.Available > 0 || !await TrySendAsync(socket, part))
                {
                    break;
                }
            }
        }

        var received = await ReceiveUntilClosedAsync(socket);
        return Parse(received);
    }

    private static async Task<bool> TrySendAsync(Socket socket, byte[] bytes)
    {
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None, TestContext.Current.CancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<byte[]> ReceiveUntilClosedAsync(Socket socket)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException) when (received.Length > 0)
        {
            // A reset after the answer: the server closed with our unread bytes still in its buffer.
        }

        return received.ToArray();
    }

    private static Response Parse(byte[] received)
    {
        var text = Encoding.UTF8.GetString(received);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, "No complete HTTP answer: '" + Truncate(text) + "'");
        var lines = text[..end].Split("\r\n");
        var statusLine = lines[0].Split(' ');
        Assert.StartsWith("HTTP/1.1", statusLine[0], StringComparison.Ordinal);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = text[(end + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return new Response(int.Parse(statusLine[1], CultureInfo.InvariantCulture), headers, body);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var position = 0;
        while (position < chunked.Length)
        {
            var lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            if (lineEnd < 0)
            {
                break;
            }

            var size = int.Parse(chunked[position..lineEnd].Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                break;
            }

            result.Append(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }

        return result.ToString();
    }
}
