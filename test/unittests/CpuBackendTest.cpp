//===- CpuBackendTest.cpp - compile, cache and call from C++ --------------===//

#include "codegen/CpuBackend.h"
#include "ir/MloptDialect.h"
#include "runtime/ObjectCache.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "gtest/gtest.h"
#include <cstdlib>
#include <fstream>
#include <unistd.h>

using namespace mlir;
namespace rt = ::mlopt::rt;

namespace {

const char *kProgram = R"mlir(
func.func @axpy(%a: tensor<?x?xf32>, %x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %m = mlopt.mul %a, %x : tensor<?x?xf32>
  %y = mlopt.add %m, %x : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
)mlir";

class CpuBackendTest : public ::testing::Test {
protected:
  void SetUp() override {
    cacheDir = ::testing::TempDir() + "mlopt-cpu-cache-" + std::to_string(getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
    setenv("MLOPT_CACHE_DIR", cacheDir.c_str(), 1);
    DialectRegistry registry;
    mlir::mlopt::registerMloptDialects(registry);
    context.appendDialectRegistry(registry);
    module = parseSourceString<ModuleOp>(kProgram, &context);
    ASSERT_TRUE(module);
    mlir::mlopt::CpuBackend::clearMemoryCache();
  }
  std::shared_ptr<mlir::mlopt::CompiledModule> compile(mlir::mlopt::CompileStats &stats) {
    std::string error;
    auto compiled = mlir::mlopt::CpuBackend::compile(*module, {}, error, &stats);
    EXPECT_TRUE(compiled) << error;
    return compiled;
  }
  static rt::Buffer filled(std::vector<int64_t> shape, float start) {
    rt::Buffer b = rt::Buffer::allocate(rt::DType::F32, shape);
    for (int64_t i = 0; i < b.numElements(); ++i)
      static_cast<float *>(b.data)[i] = start + i;
    return b;
  }
  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string cacheDir;
};

TEST_F(CpuBackendTest, RunsOnAnySizeAndOnStridedInputs) {
  mlir::mlopt::CompileStats stats;
  auto compiled = compile(stats);
  ASSERT_TRUE(compiled);
  const rt::Signature *sig = compiled->signature("axpy");
  ASSERT_TRUE(sig);
  for (std::vector<int64_t> shape : {std::vector<int64_t>{2, 3}, {1, 1}, {0, 5}, {17, 33}}) {
    rt::Buffer a = filled(shape, 1), x = filled(shape, -3);
    std::vector<rt::Buffer> results;
    std::string error;
    ASSERT_TRUE(rt::invoke(compiled->entry("axpy"), *sig, {a, x}, results, error)) << error;
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].shape, shape);
    rt::Buffer y = results[0].contiguous();
    for (int64_t i = 0; i < y.numElements(); ++i) {
      float av = 1 + i, xv = -3 + i;
      EXPECT_FLOAT_EQ(static_cast<float *>(y.data)[i], av * xv + xv);
    }
  }
  // A transposed view as input: strides (1, 3) over a 3x2 buffer.
  rt::Buffer base = filled({3, 2}, 0);
  rt::Buffer t = base;
  t.shape = {2, 3};
  t.strides = {1, 2};
  std::vector<rt::Buffer> results;
  std::string error;
  ASSERT_TRUE(rt::invoke(compiled->entry("axpy"), *sig, {t, t}, results, error)) << error;
  rt::Buffer y = results[0].contiguous();
  rt::Buffer tc = t.contiguous();
  for (int64_t i = 0; i < 6; ++i) {
    float v = static_cast<float *>(tc.data)[i];
    EXPECT_FLOAT_EQ(static_cast<float *>(y.data)[i], v * v + v);
  }
}

TEST_F(CpuBackendTest, WrongInputsAreErrorsNamingShapes) {
  mlir::mlopt::CompileStats stats;
  auto compiled = compile(stats);
  std::vector<rt::Buffer> results;
  std::string error;
  rt::Buffer a = filled({2, 3}, 0);
  rt::Buffer ints = rt::Buffer::allocate(rt::DType::I32, {2, 3});
  EXPECT_FALSE(rt::invoke(compiled->entry("axpy"), *compiled->signature("axpy"), {a, ints},
                          results, error));
  EXPECT_NE(error.find("tensor<2x3xi32>"), std::string::npos) << error;
  EXPECT_NE(error.find("tensor<?x?xf32>"), std::string::npos) << error;
  EXPECT_FALSE(rt::invoke(compiled->entry("axpy"), *compiled->signature("axpy"), {a},
                          results, error));
}

TEST_F(CpuBackendTest, SecondCompileDoesNoLLVMWork) {
  mlir::mlopt::CompileStats cold, warm, disk;
  ASSERT_TRUE(compile(cold));
  EXPECT_FALSE(cold.memoryCacheHit);
  EXPECT_FALSE(cold.diskCacheHit);
  EXPECT_GT(cold.llvmMs, 0);

  ASSERT_TRUE(compile(warm));
  EXPECT_TRUE(warm.memoryCacheHit);
  EXPECT_EQ(warm.lowerMs + warm.llvmMs, 0);

  mlir::mlopt::CpuBackend::clearMemoryCache();
  auto fromDisk = compile(disk);
  ASSERT_TRUE(fromDisk);
  EXPECT_TRUE(disk.diskCacheHit);
  EXPECT_EQ(disk.lowerMs + disk.llvmMs, 0);
  std::vector<rt::Buffer> results;
  std::string error;
  rt::Buffer a = filled({2, 2}, 1);
  ASSERT_TRUE(rt::invoke(fromDisk->entry("axpy"), *fromDisk->signature("axpy"), {a, a},
                         results, error));
  EXPECT_FLOAT_EQ(static_cast<float *>(results[0].data)[3], 4 * 4 + 4);
}

TEST_F(CpuBackendTest, CorruptCacheEntryIsRecompiledNotLoaded) {
  mlir::mlopt::CompileStats first, second;
  ASSERT_TRUE(compile(first));
  mlir::mlopt::CpuBackend::clearMemoryCache();
  // Overwrite every cache file with a valid header but garbage object code
  // is impossible to forge without the checksum: just scribble on them.
  int scribbled = 0;
  for (const char *suffix : {""}) {
    (void)suffix;
    std::string list = cacheDir;
    FILE *pipe = popen(("ls " + list + "/*.o").c_str(), "r");
    char line[4096];
    while (pipe && fgets(line, sizeof line, pipe)) {
      std::string path(line);
      path.pop_back();
      std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
      file.seekp(200);
      file.write("garbage!", 8);
      ++scribbled;
    }
    if (pipe)
      pclose(pipe);
  }
  ASSERT_GT(scribbled, 0);
  auto compiled = compile(second);
  ASSERT_TRUE(compiled);
  EXPECT_FALSE(second.diskCacheHit);
  EXPECT_GT(second.llvmMs, 0);
}

TEST_F(CpuBackendTest, ProgramChainsLaunchesAndFreesIntermediates) {
  mlir::mlopt::CompileStats stats;
  auto compiled = compile(stats);
  ASSERT_TRUE(compiled);
  rt::Program program;
  ASSERT_TRUE(compiled->program("axpy", program));
  // Chain a second launch: z = axpy(y, y) with y = axpy(a, x).
  int z = program.addSlot();
  rt::Launch second = program.launches[0];
  int y = program.outputSlots[0];
  second.inputSlots = {y, y};
  second.outputSlots = {z};
  program.launches.push_back(second);
  program.outputSlots = {z};
  std::string error;
  ASSERT_TRUE(program.verify(error)) << error;
  // a, x and y are live at once; a and x go after the first launch.
  EXPECT_EQ(program.peakLiveSlots(), 3);
  rt::Buffer a = filled({2, 2}, 1), x = filled({2, 2}, 2);
  std::vector<rt::Buffer> outputs;
  ASSERT_TRUE(program.run({a, x}, outputs, error)) << error;
  ASSERT_EQ(outputs.size(), 1u);
  for (int i = 0; i < 4; ++i) {
    float av = 1 + i, xv = 2 + i, yv = av * xv + xv;
    EXPECT_FLOAT_EQ(static_cast<float *>(outputs[0].data)[i], yv * yv + yv);
  }
  // A launch reading a slot nobody wrote is rejected before running.
  program.launches[1].inputSlots = {program.addSlot(), y};
  EXPECT_FALSE(program.verify(error));
  EXPECT_NE(error.find("before anything writes it"), std::string::npos) << error;
}

} // namespace
