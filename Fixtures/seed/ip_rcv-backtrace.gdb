### Function backtrace of ip_rcv
```
#0  ip_rcv (skb=0xffff88803d60cc00, dev=0xffff88803e556000, pt=0xffffffff8254ada0 <ip_packet_type>,
    orig_dev=0xffff88803e556000) at ../net/ipv4/ip_input.c:516
#1  0xffffffff818188eb in __netif_receive_skb_one_core (skb=0xffff88803d60cc00,
    pfmemalloc=<optimized out>) at ../net/core/dev.c:5004
#2  0xffffffff8181898a in netif_receive_skb_internal (skb=0xffff88803d60cc00) at ../net/core/dev.c:5208
#3  0xffffffff818197d1 in napi_skb_finish (skb=<optimized out>, ret=GRO_NORMAL)
    at ../net/core/dev.c:5671
#4  napi_gro_receive (napi=0xffff88803e556af0, skb=0xffff88803d60cc00) at ../net/core/dev.c:5704
#5  0xffffffff8167219b in e1000_receive_skb (skb=<optimized out>, vlan=<optimized out>,
    status=<optimized out>, adapter=<optimized out>)
    at ../drivers/net/ethernet/intel/e1000/e1000_main.c:3999
#6  e1000_clean_rx_irq (adapter=0xffff88803e556840, rx_ring=<optimized out>, work_done=<optimized out>,
    work_to_do=<optimized out>) at ../drivers/net/ethernet/intel/e1000/e1000_main.c:4455
#7  0xffffffff81672a23 in e1000_clean (napi=0xffff88803e556af0, budget=64)
    at ../drivers/net/ethernet/intel/e1000/e1000_main.c:3799
#8  0xffffffff81818e6c in napi_poll (repoll=<optimized out>, n=<optimized out>)
    at ../net/core/dev.c:6352
#9  net_rx_action (h=<optimized out>) at ../net/core/dev.c:6418
#10 0xffffffff81e000db in __do_softirq () at ../kernel/softirq.c:292
#11 0xffffffff8106a395 in run_ksoftirqd (cpu=<optimized out>) at ../kernel/softirq.c:603
#12 run_ksoftirqd (cpu=<optimized out>) at ../kernel/softirq.c:595
#13 0xffffffff81089780 in smpboot_thread_fn (data=0xffff88803e4021c0) at ../kernel/smpboot.c:165
#14 0xffffffff81085ef6 in kthread (_create=0xffff88803e43f600) at ../kernel/kthread.c:255
#15 0xffffffff81c00205 in ret_from_fork () at ../arch/x86/entry/entry_64.S:352
```
