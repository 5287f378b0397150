// Where path[].file and backtraces say a function lives: the kernel tree's own answer.
import Testing
@testable import Kernel

@Suite struct KernelSourceTests {
    @Test func receiveFunctionsOfTheE1000Path() {
        #expect(KernelSource.file(of: "eth_type_trans") == "net/ethernet/eth.c")
        #expect(KernelSource.file(of: "eth_type_trans", kernel: .v5_4) == "net/ethernet/eth.c")
        // GRO moved out of dev.c into net/core/gro.c in 5.19.
        #expect(KernelSource.file(of: "dev_gro_receive") == "net/core/gro.c")
        #expect(KernelSource.file(of: "dev_gro_receive", kernel: .v5_4) == "net/core/dev.c")
        #expect(KernelSource.file(of: "__netif_receive_skb_core") == "net/core/dev.c")
    }
}
