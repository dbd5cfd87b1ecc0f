namespace Lifeboat.Postgres.Tests;

public class WorkerPoolTests
{
    [Fact]
    public async Task The_first_failure_cancels_the_other_workers_and_is_the_one_thrown()
    {
        var cancelled = 0;
        var started = 0;
        var act = () => WorkerPool.RunAsync(3, async token =>
        {
            // the workers start one after the other: the last fails once the two others wait
            if (Interlocked.Increment(ref started) == 3)
            {
                await Task.Yield();
                throw new InvalidOperationException("the first failure");
            }
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
                throw;
            }
        }, CancellationToken.None);

        (await act.Should().ThrowExactlyAsync<InvalidOperationException>()).WithMessage("the first failure");
        cancelled.Should().Be(2, "the two other workers were waiting and saw the cancellation");
    }

    [Fact]
    public async Task A_failure_the_cancellation_caused_is_not_the_one_thrown()
    {
        using var failure = new CancellationTokenSource();
        var first = FailSoonAsync();
        var broken = BreakWhenCancelledAsync(failure.Token);
        var cancelled = Task.Delay(Timeout.Infinite, failure.Token);

        var act = () => WorkerPool.WhenAllAsync([broken, cancelled, first], failure);

        (await act.Should().ThrowExactlyAsync<TimeoutException>()).WithMessage("the first failure");
        failure.IsCancellationRequested.Should().BeTrue();
        new[] { first, broken, cancelled }.Should().AllSatisfy(t => t.IsCompleted.Should().BeTrue("every task has ended when the pool throws"));
    }

    [Fact]
    public async Task Every_failure_is_observed_so_none_is_reported_as_unobserved()
    {
        var unobserved = new List<Exception>();
        void Record(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            lock (unobserved)
                unobserved.AddRange(e.Exception.InnerExceptions.Where(x => x.Message.StartsWith("worker pool test", StringComparison.Ordinal)));
        }
        TaskScheduler.UnobservedTaskException += Record;
        try
        {
            await FailSeveralAsync();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= Record;
        }

        unobserved.Should().BeEmpty();
    }

    [Fact]
    public async Task Without_a_failure_every_worker_runs_to_its_end()
    {
        var done = 0;
        await WorkerPool.RunAsync(4, async token =>
        {
            await Task.Yield();
            Interlocked.Increment(ref done);
        }, CancellationToken.None);

        done.Should().Be(4);
    }

    private static async Task FailSoonAsync()
    {
        await Task.Delay(20, CancellationToken.None);
        throw new TimeoutException("the first failure");
    }

    private static async Task BreakWhenCancelledAsync(CancellationToken token)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, token);
        }
        catch (OperationCanceledException)
        {
            // as a COPY whose connection is cancelled: another exception than the cancellation
            throw new IOException("the pipe broke");
        }
    }

    // kept out of the test method so that no reference to the tasks stays alive when the finalizers run
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task FailSeveralAsync()
    {
        var act = () => WorkerPool.RunAsync(4, async token =>
        {
            await Task.Yield();
            throw new InvalidOperationException("worker pool test: every worker fails");
        }, CancellationToken.None);
        await act.Should().ThrowAsync<InvalidOperationException>();
    }
}
