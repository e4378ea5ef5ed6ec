namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// Holds requests back until a given number of them has arrived, then lets them all go at once. The gate sits in the
/// client's handler chain after anything that reads state for the request (a cookie jar), so every request is built
/// before any answer can change that state, and the server sees them together.
/// </summary>
internal sealed class StartGate
{
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _expected;
    private int _arrived;

    /// <summary>The next <paramref name="count"/> requests through any of this gate's handlers wait for one another.</summary>
    public void Arm(int count)
    {
        lock (_lock)
        {
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _expected = count;
            _arrived = 0;
        }
    }

    /// <summary>A handler for one client; several clients may share one gate.</summary>
    public DelegatingHandler CreateHandler(HttpMessageHandler? inner = null) => inner is null ? new GateHandler(this) : new GateHandler(this) { InnerHandler = inner };

    private Task ArriveAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource open;
        lock (_lock)
        {
            if (_expected == 0)
            {
                return Task.CompletedTask;
            }

            open = _open;
            if (++_arrived == _expected)
            {
                _expected = 0;
                open.TrySetResult();
            }
        }

        return open.Task.WaitAsync(ArrivalTimeout, cancellationToken);
    }

    private sealed class GateHandler(StartGate gate) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await gate.ArriveAsync(cancellationToken);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
