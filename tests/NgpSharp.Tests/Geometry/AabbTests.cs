using System.Numerics;
using NgpSharp.Geometry;
using Xunit;

namespace NgpSharp.Tests.Geometry;

public class AabbTests
{
    static readonly Aabb Box = new(new Vector3(-1), new Vector3(1));

    [Fact]
    public void Hit_FromOutside_GivesEntryAndExit()
    {
        Assert.True(Box.Intersect(new Vector3(-5, 0, 0), Vector3.UnitX, out float tn, out float tf));
        Assert.Equal(4f, tn);
        Assert.Equal(6f, tf);
        var d = Vector3.Normalize(new Vector3(1, 1, 0));
        Assert.True(Box.Intersect(new Vector3(-3, -3, 0.5f), d, out tn, out tf));
        Assert.Equal(2f * MathF.Sqrt(2f), tn, 5);
        Assert.Equal(4f * MathF.Sqrt(2f), tf, 5);
    }

    [Fact]
    public void Miss_Parallel_Behind_AreRejected()
    {
        Assert.False(Box.Intersect(new Vector3(-5, 2, 0), Vector3.UnitX, out _, out _));      // passes above
        Assert.False(Box.Intersect(new Vector3(5, 0, 0), Vector3.UnitX, out _, out _));       // box behind
        Assert.False(Box.Intersect(new Vector3(-5, 0, 0), Vector3.Normalize(new Vector3(1, 1, 0)), out _, out _)); // diagonal miss
    }

    [Fact]
    public void Inside_HasNegativeNear_AndGrazingFaceCounts()
    {
        Assert.True(Box.Intersect(new Vector3(0.5f, 0, 0), -Vector3.UnitX, out float tn, out float tf));
        Assert.Equal(-0.5f, tn);
        Assert.Equal(1.5f, tf);
        Assert.True(Box.Intersect(new Vector3(-5, 1, 0), Vector3.UnitX, out tn, out tf)); // along the y = max face
        Assert.Equal(4f, tn);
    }

    [Fact]
    public void Contains_IsClosed_AndScaledKeepsCentre()
    {
        Assert.True(Box.Contains(new Vector3(1, -1, 1)));
        Assert.False(Box.Contains(new Vector3(1.0001f, 0, 0)));
        var s = new Aabb(new Vector3(0), new Vector3(2)).Scaled(4);
        Assert.Equal(new Vector3(-3), s.Min);
        Assert.Equal(new Vector3(5), s.Max);
        Assert.Throws<ArgumentException>(() => new Aabb(new Vector3(1), new Vector3(0)));
    }
}
