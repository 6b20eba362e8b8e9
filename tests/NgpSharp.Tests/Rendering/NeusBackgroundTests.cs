using System.Numerics;
using NgpSharp.Geometry;
using NgpSharp.Rendering;
using Xunit;

namespace NgpSharp.Tests.Rendering;

public class NeusBackgroundTests
{
    [Fact]
    public void RayThroughTheBox_ForegroundInside_BackgroundFromTheExit()
    {
        // From z = −3 along +z through [−1, 1]³: foreground [2, 4], background [4, 1000].
        Assert.True(NeusBackground.SplitRay(new Vector3(0, 0, -3), Vector3.UnitZ, 1f, out float fn, out float ff, out float bn, out float bf));
        Assert.Equal((2f, 4f, 4f, 1000f), (fn, ff, bn, bf));
        // From inside: the foreground starts at 0.
        Assert.True(NeusBackground.SplitRay(Vector3.Zero, Vector3.UnitX, 1.5f, out fn, out ff, out bn, out _));
        Assert.Equal((0f, 1.5f, 1.5f), (fn, ff, bn));
    }

    [Fact]
    public void RayMissingTheBox_IsAllBackground_FromTheNearPlane()
    {
        Assert.False(NeusBackground.SplitRay(new Vector3(0, 5, -3), Vector3.UnitZ, 1f, out float fn, out float ff, out float bn, out float bf));
        Assert.Equal((0f, 0f, 0.1f, 1000f), (fn, ff, bn, bf));
    }

    [Fact]
    public void ConeAngle_MakesAboutNStepsToTheFarPlane()
    {
        float c = NeusBackground.ConeAngle(64);
        Assert.Equal(MathF.Pow(10, 3f / 64) - 1, c, 6);
        Assert.Equal(1000.0, Math.Pow(1 + c, 64), 1);
    }

    [Fact]
    public void Contraction_IdentityInsideTheBall_InfinityOnTheOuterSphere()
    {
        var box = new Aabb(new Vector3(-2), new Vector3(2));
        Assert.Equal(new Vector3(0.5f), NeusBackground.Contract(Vector3.Zero, box));
        Assert.Equal(new Vector3(0.75f, 0.5f, 0.5f), NeusBackground.Contract(new Vector3(2, 0, 0), box)); // ball surface
        var far = NeusBackground.Contract(new Vector3(0, 0, 1e6f), box);
        Assert.Equal(1.0f, far.Z, 5); // 0.5 + 2/4 as ‖x‖ → ∞
        var mid = NeusBackground.Contract(new Vector3(0, 0, 4), box); // ‖x‖ = 2 → 1.5 → 0.5 + 0.375
        Assert.Equal(0.875f, mid.Z, 6);
    }
}
