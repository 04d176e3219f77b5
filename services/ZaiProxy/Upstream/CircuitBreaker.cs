namespace AgentFleet.ZaiProxy.Upstream;

/// <summary>The upstream failed too often in a row; calls are refused until it has had time to recover.</summary>
public sealed class CircuitOpenException(TimeSpan retryAfter) : Exception("The upstream is failing; calls are paused.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Opens after <c>threshold</c> consecutive failures and refuses calls for <c>breakDuration</c>; then one trial call
/// goes through (half-open): its success closes the circuit, its failure opens it again.
/// </summary>
public sealed class CircuitBreaker(int threshold, TimeSpan breakDuration, TimeProvider time)
{
    private readonly Lock _gate = new();
    private int _failures;
    private DateTimeOffset? _openUntil;
    private bool _trialInFlight;

    /// <summary>Throws <see cref="CircuitOpenException"/> while open.</summary>
    public void Enter()
    {
        lock (_gate)
        {
            if (_openUntil is not { } until)
            {
                return;
            }
            var now = time.GetUtcNow();
            if (now < until)
            {
                throw new CircuitOpenException(until - now);
            }
            if (_trialInFlight)
            {
                throw new CircuitOpenException(breakDuration);
            }
            _trialInFlight = true;
        }
    }

    public void Succeeded()
    {
        lock (_gate)
        {
            _failures = 0;
            _openUntil = null;
            _trialInFlight = false;
        }
    }

    /// <summary>The call ended without a verdict (its caller went away): a half-open trial may be tried again.</summary>
    public void Abandoned()
    {
        lock (_gate)
        {
            _trialInFlight = false;
        }
    }

    public void Failed()
    {
        lock (_gate)
        {
            _failures++;
            if (_trialInFlight || _failures >= threshold)
            {
                _openUntil = time.GetUtcNow() + breakDuration;
                _trialInFlight = false;
            }
        }
    }
}
